using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MuraPipeline.Inference;
using MuraPipeline.Tests;

namespace MuraPipeline.IntegrationTests;

/// <summary>The scheduler role on PostgreSQL: clustered Quartz, incremental de-identified exports, the promotion gate.</summary>
public sealed partial class DistributedTests
{
    private const string PseudonymKey = "integration-test-pseudonym-key";

    private string Exports => Path.Combine(_c.Dir, "exports");

    private Dictionary<string, string> ExportSettings(IDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string> { ["Export__PseudonymKey"] = PseudonymKey, ["Export__Folder"] = Exports };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        return env;
    }

    private (int Code, string Output) Mura(IDictionary<string, string> extra, params string[] args)
    {
        var (code, stdout, stderr) = Peers.Mura(_c.Environment(extra), _c.Dir, args);
        return (code, stdout + stderr);
    }

    /// <summary>labels.csv rows (header first) of the staged studies, read before they are dropped.</summary>
    private string[] StagedLabels() => File.ReadAllLines(Path.Combine(Staging, "labels.csv"));

    private string WriteLabels(string name, string header, IEnumerable<string> rows)
    {
        var path = Path.Combine(_c.Dir, name);
        File.WriteAllLines(path, rows.Prepend(header));
        return path;
    }

    /// <summary>What identifies the staged studies' patients, read by dcmdump (not by our DICOM code).</summary>
    private HashSet<string> StagedIdentifiers()
    {
        var files = Directory.EnumerateFiles(Staging, "*.dcm", SearchOption.AllDirectories).ToList();
        var (code, stdout, stderr) = Peers.Run("dcmdump", ["+P", "PatientName", "+P", "PatientID", "+P", "PatientBirthDate", "+P", "AccessionNumber", "+P", "InstitutionName", "+P", "StudyDate", .. files]);
        Assert.True(code == 0, stderr);
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(stdout, @"^\([0-9a-f,]+\) [A-Z]{2} \[([^\]]+)\]", RegexOptions.Multiline))
        {
            var v = m.Groups[1].Value.Trim();
            values.Add(v);
            values.UnionWith(v.Split('^', StringSplitOptions.RemoveEmptyEntries).Where(p => p.Length >= 4));
            if (Regex.IsMatch(v, "^[0-9]{8}$"))
            {
                values.Add($"{v[..4]}-{v[4..6]}-{v[6..]}");
            }
        }

        Assert.Contains(values, v => v.StartsWith("PH", StringComparison.Ordinal));
        Assert.True(values.Count >= files.Count / 4, $"dcmdump gave too few identifiers: {string.Join(", ", values)}");
        return values;
    }

    [Fact]
    public async Task Two_scheduler_replicas_run_one_export_per_trigger_the_next_export_takes_only_new_verdicts_and_no_exported_byte_names_a_patient()
    {
        var views = Stage(16, seed: 701);
        var labels = StagedLabels();
        var identifiers = StagedIdentifiers();
        _c.Serve("ingest", "ingest");
        _c.Serve("inference", "inference");
        Drop();
        await WaitAllScoredAsync(16, views);

        // Ground truth for the first eight studies, from a CSV file.
        var (code, text) = _c.RunMura("labels", "import", WriteLabels("first.csv", labels[0], labels.Skip(1).Take(8)));
        Assert.True(code == 0, text);
        Assert.Contains("8 verdicts recorded", text, StringComparison.Ordinal);

        // Two scheduler replicas share one cron trigger that fires once, 30 s from now (UTC).
        var fireAt = DateTimeOffset.UtcNow.AddSeconds(30);
        var settings = ExportSettings(new Dictionary<string, string>
        {
            ["Scheduler__Cron"] = fireAt.ToString("s m H", CultureInfo.InvariantCulture) + " * * ?",
            ["Scheduler__TimeZone"] = "UTC",
        });
        var replicas = new[] { _c.Serve("scheduler-1", "scheduler,api", settings), _c.Serve("scheduler-2", "scheduler", settings) };
        // Both replicas have scheduled the trigger and checked in with the cluster (the check-in follows the start).
        await _c.WaitUntilAsync(
            async () => replicas.All(r => r.Log.Contains("Retraining export scheduled", StringComparison.Ordinal))
                && await _c.ScalarAsync<int>("SELECT count(*) FROM qrtz_scheduler_state") == 2,
            Deadline,
            "both replicas to schedule the export and check in with the cluster");
        Assert.True(DateTimeOffset.UtcNow < fireAt.AddSeconds(-1), "the replicas took too long to start for this test's trigger");

        var fireMs = fireAt.ToUnixTimeMilliseconds() / 1000 * 1000;
        await _c.WaitUntilAsync(
            async () => await _c.ScalarAsync<int>("SELECT count(*) FROM export_runs WHERE \"Status\" <> 0") >= 1
                && await _c.ScalarAsync<int>("SELECT count(*) FROM qrtz_fired_triggers") == 0
                && await _c.ScalarAsync<long>("SELECT coalesce(min(next_fire_time), 0) FROM qrtz_triggers") / 10_000 - 62_135_596_800_000 > fireMs,
            Deadline,
            "the trigger to fire and its export to finish");

        // Exactly one export ran, on one replica, and it took the eight labelled studies.
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*) FROM export_runs"));
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*) FROM qrtz_execution_history"));
        Assert.Equal("succeeded 8 schedule", await _c.ScalarAsync<string>("SELECT CASE \"Status\" WHEN 1 THEN 'succeeded' ELSE 'status ' || \"Status\" || ': ' || coalesce(\"Error\", '') END || ' ' || \"Studies\" || ' ' || \"Trigger\" FROM export_runs"));
        await _c.WaitUntilAsync(() => Task.FromResult(replicas.Any(r => r.Log.Contains("Export run 1:", StringComparison.Ordinal))), Deadline, "the replica that ran the export to log it (console logging is asynchronous)");
        Assert.Equal(1, replicas.Count(r => r.Log.Contains("Export trigger for", StringComparison.Ordinal)));

        // A reader's verdicts on the other eight studies through the API (a bad request and an unknown study are refused).
        using var http = _c.ApiClient(replicas[0], "reader");
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync($"/api/studies/{labels[9].Split(',')[0]}/verdicts", new { reader = "dr-lee" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/studies/1.2.3.4/verdicts", new { abnormal = true, reader = "dr-lee" })).StatusCode);
        foreach (var row in labels.Skip(9))
        {
            var f = row.Split(',');
            using var response = await http.PostAsJsonAsync($"/api/studies/{f[0]}/verdicts", new { abnormal = f[2] == "1", reader = "dr-lee", read_at = "2026-11-23T08:00:00Z" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // A re-read of an exported study that confirms its label is kept for audit but is not a change.
        var confirmed = labels[1].Split(',');
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync($"/api/studies/{confirmed[0]}/verdicts", new { abnormal = confirmed[2] == "1", reader = "dr-kim" })).StatusCode);
        using (var history = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/studies/{confirmed[0]}/verdicts", UriKind.Relative))))
        {
            Assert.Equal(["import", "dr-kim"], history.RootElement.EnumerateArray().Select(v => v.GetProperty("reader").GetString()));
        }

        // The second export (by hand, the same code path) takes exactly the newly labelled studies.
        (code, text) = Mura(ExportSettings(), "export", "--now");
        Assert.True(code == 0, text);
        Assert.Contains("export run 2: 8 studies", text, StringComparison.Ordinal);
        var second = labels.Skip(9).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(string.Join(",", second), await _c.ScalarAsync<string>("SELECT string_agg(\"StudyInstanceUid\", ',' ORDER BY \"StudyInstanceUid\" COLLATE \"C\") FROM exported_studies WHERE \"LastRunId\" = 2"));
        Assert.Equal(8, await _c.ScalarAsync<int>("SELECT count(*) FROM exported_studies WHERE \"LastRunId\" = 1"));
        var run1 = StudyKeys(Path.Combine(Exports, "export-000001"));
        var run2 = StudyKeys(Path.Combine(Exports, "export-000002"));
        Assert.Equal(8, run1.Count);
        Assert.Equal(8, run2.Count);
        Assert.Empty(run1.Intersect(run2));

        // `mura status` shows the run history.
        (code, text) = _c.RunMura("status", "--json");
        Assert.True(code == 0, text);
        using (var status = JsonDocument.Parse(text))
        {
            Assert.Equal(["2 manual succeeded 8", "1 schedule succeeded 8"], status.RootElement.GetProperty("exports").EnumerateArray().Select(r => $"{r.GetProperty("run").GetInt64()} {r.GetProperty("trigger").GetString()} {r.GetProperty("status").GetString()} {r.GetProperty("studies").GetInt32()}"));
        }

        // No exported byte, and no file name, carries a patient's name, ID, birth date, accession number, institution or study date.
        var files = Directory.EnumerateFiles(Exports, "*", SearchOption.AllDirectories).ToList();
        Assert.True(files.Count > 30);
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var id in identifiers)
            {
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(id)) >= 0, $"{file} contains '{id}'");
                Assert.DoesNotContain(id, Path.GetRelativePath(Exports, file), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task The_training_hook_activates_a_candidate_only_when_its_kappa_on_the_validation_split_beats_the_active_model()
    {
        var views = Stage(24, seed: 702);
        var labels = StagedLabels();
        _c.Serve("ingest", "ingest");
        _c.Serve("inference", "inference");
        Drop();
        await WaitAllScoredAsync(24, views);

        // The active model: the bundled demo model. The worse one: the same architecture untrained (train.py --epochs 0).
        var demo = InferenceOptions.BundledModelPath;
        var (code, text) = _c.RunMura("models", "add", demo, "--activate");
        Assert.True(code == 0, text);
        var demoSha = await _c.ScalarAsync<string>("SELECT \"Sha256\" FROM model_versions WHERE \"Active\"");
        Assert.Contains(demoSha, text.Replace("\n", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        var worse = Path.Combine(_c.Dir, "untrained.onnx");
        var (pyCode, pyOut, pyErr) = Peers.Run("/usr/bin/python3", Path.Combine(Peers.RepositoryRoot(), "src", "training", "train.py"), "--epochs", "0", "--arch", "compact", "--channels", "1", "--size", "64", "--seed", "5", "--out", worse);
        Assert.True(pyCode == 0, pyOut + pyErr);

        // Half the patients in the validation split, so the gate has studies to judge on.
        Dictionary<string, string> Hook(string model) => ExportSettings(new Dictionary<string, string>
        {
            ["Export__ValidPercent"] = "50",
            ["Export__Training__Command"] = $"cp '{model}' {{candidate}}",
            ["Export__Training__Margin"] = "0.02",
        });

        // Worse candidate: registered, evaluated, not activated.
        Assert.Equal(0, _c.RunMura("labels", "import", WriteLabels("first.csv", labels[0], labels.Skip(1).Take(12))).Code);
        (code, text) = Mura(Hook(worse), "export", "--now");
        Assert.True(code == 0, text);
        Assert.Contains("training: rejected", text, StringComparison.Ordinal);
        Assert.Equal(demoSha, await _c.ScalarAsync<string>("SELECT \"Sha256\" FROM model_versions WHERE \"Active\""));
        var worseSha = await _c.ScalarAsync<string>("SELECT \"CandidateSha256\" FROM export_runs WHERE \"Id\" = 1");
        Assert.Equal(1, await _c.ScalarAsync<int>($"SELECT count(*) FROM model_versions WHERE \"Sha256\" = '{worseSha}' AND NOT \"Active\""));
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*) FROM export_runs WHERE \"Id\" = 1 AND \"TrainingStatus\" = 'rejected' AND \"ActiveKappa\" IS NOT NULL AND (\"CandidateKappa\" IS NULL OR \"CandidateKappa\" <= \"ActiveKappa\" + 0.02)"));

        // Now the untrained model is active, and the demo model comes back as a candidate: it is better, so it is activated.
        (code, text) = _c.RunMura("models", "activate", worseSha);
        Assert.True(code == 0, text);
        Assert.Equal(0, _c.RunMura("labels", "import", WriteLabels("second.csv", labels[0], labels.Skip(13))).Code);
        (code, text) = Mura(Hook(demo), "export", "--now");
        Assert.True(code == 0, text);
        Assert.Contains("training: activated", text, StringComparison.Ordinal);
        Assert.Equal(demoSha, await _c.ScalarAsync<string>("SELECT \"Sha256\" FROM model_versions WHERE \"Active\""));
        output.WriteLine($"gate, run 1: {await _c.ScalarAsync<string>("SELECT \"TrainingDetail\" FROM export_runs WHERE \"Id\" = 1")}; run 2: {await _c.ScalarAsync<string>("SELECT \"TrainingDetail\" FROM export_runs WHERE \"Id\" = 2")}");
        Assert.Equal(1, await _c.ScalarAsync<int>($"SELECT count(*) FROM export_runs WHERE \"Id\" = 2 AND \"TrainingStatus\" = 'activated' AND \"CandidateSha256\" = '{demoSha}' AND \"CandidateKappa\" > coalesce(\"ActiveKappa\", -1) + 0.02"));
    }

    /// <summary>patientP/studyK of every study folder in an export.</summary>
    private static HashSet<string> StudyKeys(string folder) =>
        Directory.EnumerateDirectories(folder, "study*", SearchOption.AllDirectories)
            .Select(d => $"{Path.GetFileName(Path.GetDirectoryName(d))}/{Path.GetFileName(d).Split('_')[0]}")
            .ToHashSet(StringComparer.Ordinal);
}
