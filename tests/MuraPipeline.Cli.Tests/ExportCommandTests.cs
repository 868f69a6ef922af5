using System.Diagnostics;
using System.Text.Json;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>The scheduler role and the export commands embedded: SQLite, in-memory Quartz store, `mura` as a user runs it.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private Dictionary<string, string> Env(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string> { ["Export__PseudonymKey"] = "cli-test-key-0123456789", ["Export__Folder"] = Path.Combine(_dir, "exports") };
        foreach (var (k, v) in extra)
        {
            env[k] = v;
        }

        return env;
    }

    private (int Code, string Output) Mura(Dictionary<string, string> env, params string[] args)
    {
        var (code, stdout, stderr) = Peers.Mura(env, _dir, args);
        return (code, stdout + stderr);
    }

    [Fact]
    public void The_embedded_scheduler_role_exports_on_its_cron_trigger_and_status_lists_the_run()
    {
        var phantoms = Path.Combine(_dir, "phantoms");
        var run = Path.Combine(_dir, "run");
        Assert.Equal(0, Mura(Env(), "phantoms", "--out", phantoms, "--studies", "6", "--seed", "41").Code);
        var (code, text) = Mura(Env(), "screen", phantoms, "--out", run);
        Assert.True(code == 0, text);
        var db = Path.Combine(run, "mura.db");

        // A file with one bad row is refused whole, naming the row; the good file is recorded.
        var bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(bad, ["study_uid,label", "1.2.3,1", "1.2.4,maybe"]);
        (code, text) = Mura(Env(), "labels", "import", bad, "--db", db);
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("line 3: label 'maybe'", text, StringComparison.Ordinal);
        (code, text) = Mura(Env(), "labels", "import", Path.Combine(phantoms, "labels.csv"), "--db", db);
        Assert.True(code == 0, text);
        Assert.Contains("6 verdicts recorded", text, StringComparison.Ordinal);

        // Without a pseudonym key the role refuses to start and says which setting is missing.
        var noKey = Env(("Export__PseudonymKey", string.Empty));
        (code, text) = Mura(noKey, "serve", "--roles", "scheduler", "--urls", "http://127.0.0.1:0");
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("Export:PseudonymKey", text, StringComparison.Ordinal);

        // The scheduler role in the run folder (mura.db there), on a trigger every two seconds: the first run exports all six studies.
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = run, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Peers.MuraDll, "serve", "--roles", "scheduler", "--urls", "http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in Env(("Scheduler__Cron", "0/2 * * * * ?"), ("Scheduler__TimeZone", "UTC")))
        {
            psi.Environment[k] = v;
        }

        var manifest = Path.Combine(_dir, "exports", "export-000001", "manifest.json");
        using (var serve = Process.Start(psi)!)
        {
            serve.BeginOutputReadLine();
            serve.BeginErrorReadLine();
            var watch = Stopwatch.StartNew();
            while (!File.Exists(manifest) && !serve.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                serve.WaitForExit(200);
            }

            Assert.False(serve.HasExited, $"serve exited with {(serve.HasExited ? serve.ExitCode : 0)}");

            // The folder is renamed into place before the run's row is marked succeeded: wait for the row too.
            while (File.Exists(manifest) && !serve.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2) && !LastRunEnded(db))
            {
                serve.WaitForExit(200);
            }

            serve.Kill(entireProcessTree: true);
            serve.WaitForExit();
        }

        Assert.True(File.Exists(manifest), "no export within two minutes");
        using (var doc = JsonDocument.Parse(File.ReadAllText(manifest)))
        {
            Assert.Equal(6, doc.RootElement.GetProperty("studies").GetInt32());
            Assert.Equal("schedule", doc.RootElement.GetProperty("trigger").GetString());
        }

        (code, text) = Mura(Env(), "status", "--db", db, "--json");
        Assert.True(code == 0, text);
        using var status = JsonDocument.Parse(text);
        var first = status.RootElement.GetProperty("exports").EnumerateArray().Last();
        Assert.Equal((1L, "schedule", "succeeded", 6), (first.GetProperty("run").GetInt64(), first.GetProperty("trigger").GetString(), first.GetProperty("status").GetString(), first.GetProperty("studies").GetInt32()));
    }

    /// <summary>Whether the newest export run in the database has left the running state.</summary>
    private bool LastRunEnded(string db)
    {
        var (code, text) = Mura(Env(), "status", "--db", db, "--json");
        if (code != 0)
        {
            return false;
        }

        using var status = JsonDocument.Parse(text);
        var runs = status.RootElement.GetProperty("exports").EnumerateArray().ToList();
        return runs.Count > 0 && runs.Any(r => r.GetProperty("status").GetString() != "running");
    }
}
