using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Data;
using MuraPipeline.Model;
using MuraPipeline.Tests;

namespace MuraPipeline.Inference.Tests;

/// <summary>
/// The first model load when the model file was started early (<see cref="ModelProvider.BeginLoadingFile"/>, beside the
/// schema's migration): which model ends up in hand, and where a file that cannot load makes itself known.
/// </summary>
public sealed class ModelProviderTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_file_load_begun_before_the_schema_exists_is_the_model_registered_and_used()
    {
        using var host = Build(modelPath: null);
        var models = host.Services.GetRequiredService<ModelProvider>();
        models.BeginLoadingFile(); // no schema yet: the early load must not need the database
        await InferenceHost.MigrateAsync(host);

        var model = await models.InitializeAsync(default);

        Assert.Equal(Path.GetFullPath(InferenceOptions.BundledModelPath), Path.GetFullPath(model.Path));
        await using var scope = host.Services.CreateAsyncScope();
        var registered = await scope.ServiceProvider.GetRequiredService<MuraDbContext>().ModelVersions.AsNoTracking().SingleAsync();
        Assert.Equal(model.Sha256, registered.Sha256);
        Assert.Equal(model.Sha256, models.CurrentSha256);
    }

    [Fact]
    public async Task With_a_registry_model_active_the_early_file_load_is_set_aside_for_the_registry_copy()
    {
        using var host = Build(modelPath: null);
        await InferenceHost.MigrateAsync(host);
        var bytes = await File.ReadAllBytesAsync(InferenceOptions.BundledModelPath);
        string sha;
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var registry = scope.ServiceProvider.GetRequiredService<ModelRegistry>();
            using var loaded = OnnxModel.Load(bytes, "bundled");
            sha = loaded.Sha256;
            await loaded.RegisterAsync(registry, bytes, default);
            await registry.ActivateAsync(sha, AuditActor.CommandLine, default);
        }

        var models = host.Services.GetRequiredService<ModelProvider>();
        models.BeginLoadingFile();
        var model = await models.InitializeAsync(default);

        // The registry's copy (named by its version), not the file begun early.
        Assert.Equal($"{sha[..12]} (registry)", model.Path);
        Assert.Equal(sha, models.CurrentSha256);
    }

    [Fact]
    public async Task A_pinned_file_that_cannot_load_fails_the_first_load_with_its_reason_after_the_schema_migrated()
    {
        var bad = Path.Combine(_dir, "bad.onnx");
        await File.WriteAllTextAsync(bad, "this is not a protobuf");
        using var host = Build(modelPath: bad);
        var models = host.Services.GetRequiredService<ModelProvider>();
        models.BeginLoadingFile();
        await InferenceHost.MigrateAsync(host);

        var ex = await Assert.ThrowsAsync<ModelLoadException>(() => models.InitializeAsync(default));
        Assert.StartsWith($"model file {bad} is not a valid ONNX model", ex.Message, StringComparison.Ordinal);
        Assert.Null(models.CurrentSha256);
    }

    private IHost Build(string? modelPath) =>
        InferenceHost.Build(Path.Combine(_dir, $"{Guid.NewGuid():N}.db"), new Dictionary<string, string?> { ["Inference:ModelPath"] = modelPath });
}
