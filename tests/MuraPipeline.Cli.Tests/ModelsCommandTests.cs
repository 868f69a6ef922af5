using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Model;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>`mura models add|list|activate|check` on an embedded database.</summary>
public sealed class ModelsCommandTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static Task<int> Mura(params string[] args) => MuraCommandLine.Build().Parse(args).InvokeAsync();

    [Fact]
    public async Task Models_are_registered_once_by_sha256_activated_by_prefix_and_a_bad_export_is_refused()
    {
        var db = Path.Combine(_dir, "mura.db");
        var bundled = Path.Combine(_dir, "demo.onnx");
        File.Copy(InferenceOptions.BundledModelPath, bundled);
        File.Copy(InferenceOptions.BundledModelPath + ".check.npz", bundled + ".check.npz");
        Assert.Equal(ExitCodes.Ok, await Mura("models", "add", bundled, "--db", db));
        Assert.Equal(ExitCodes.Ok, await Mura("models", "add", bundled, "--db", db, "--name", "again"));

        // A copy whose reference outputs PyTorch "disagree" with: the check fails and nothing is registered.
        var tampered = Path.Combine(_dir, "tampered.onnx");
        await File.WriteAllBytesAsync(tampered, [.. await File.ReadAllBytesAsync(bundled), 0x32, 1, (byte)'x']);
        var (code, _, stderr) = Peers.Python(
            "import numpy as np, sys; d = dict(np.load(sys.argv[1])); d['abnormal'] = d['abnormal'] + 0.01; np.savez(sys.argv[2], **d)",
            bundled + ".check.npz",
            tampered + ".check.npz");
        Assert.True(code == 0, stderr);
        Assert.Equal(ExitCodes.StartFailed, await Mura("models", "check", tampered));
        Assert.Equal(ExitCodes.StartFailed, await Mura("models", "add", tampered, "--db", db));
        File.Delete(tampered + ".check.npz");
        Assert.Equal(ExitCodes.Ok, await Mura("models", "add", tampered, "--db", db, "--name", "second"));

        // Not a model at all.
        var junk = Path.Combine(_dir, "junk.onnx");
        await File.WriteAllTextAsync(junk, "not a model");
        Assert.Equal(ExitCodes.StartFailed, await Mura("models", "add", junk, "--db", db));

        var options = new DbContextOptionsBuilder<MuraDbContext>();
        options.UseEmbeddedSqlite(db);
        await using var context = new MuraDbContext(options.Options);
        var rows = await context.ModelVersions.AsNoTracking().OrderBy(m => m.Name).ToListAsync();
        Assert.Equal(["demo.onnx", "second"], rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.Equal(64, r.Sha256.Length));
        Assert.DoesNotContain(rows, r => r.Active);

        Assert.Equal(ExitCodes.Ok, await Mura("models", "activate", rows[1].Sha256[..8], "--db", db));
        Assert.Equal(rows[1].Sha256, (await context.ModelVersions.AsNoTracking().SingleAsync(m => m.Active)).Sha256);
        Assert.Equal(ExitCodes.Ok, await Mura("models", "activate", rows[0].Sha256, "--db", db));
        Assert.Equal(rows[0].Sha256, (await context.ModelVersions.AsNoTracking().SingleAsync(m => m.Active)).Sha256);
        Assert.Equal(ExitCodes.StartFailed, await Mura("models", "activate", "ffffffff", "--db", db));
        Assert.Equal(ExitCodes.Ok, await Mura("models", "list", "--db", db));

        // The stored bytes are the file's: a worker loads the same model from the database.
        var stored = await context.ModelFiles.AsNoTracking().SingleAsync(f => f.Sha256 == rows[0].Sha256);
        using var loaded = OnnxModel.Load(stored.Content, "stored");
        Assert.Equal(rows[0].Sha256, loaded.Sha256);
    }
}
