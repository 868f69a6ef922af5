using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MuraPipeline.Cli.Commands;
using MuraPipeline.Hosting.Embedded;
using MuraPipeline.Evaluation;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>
/// What a MURA holder and a newcomer meet first: a tree with OS litter, MURA's own CSVs, labels spelled as words, one
/// setting honoured the same way by `screen` and by `serve`.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PipelineShapeTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static List<List<string>> ReadCsv(string path) => File.ReadAllLines(path).Skip(1).Select(Csv.Split).ToList();

    /// <summary>A MURA-layout tree as MURA ships it: DIR/MURA-v1.1/valid/XR_…; returns the valid folder.</summary>
    private string MuraTree(int studies, ulong seed)
    {
        var valid = Path.Combine(_dir, "MURA-v1.1", "valid");
        PhantomWriter.WriteAll(new PhantomGenerator(seed, minSide: 400, maxSide: 560), studies, valid, PhantomFormat.Mura);
        File.Move(Path.Combine(valid, "labels.csv"), Path.Combine(_dir, "phantom-labels.csv"));
        return valid;
    }

    [Fact]
    public async Task Os_litter_in_a_mura_tree_is_skipped_and_counted_one_row_is_one_real_study_and_the_tree_is_left_untouched()
    {
        var valid = MuraTree(6, 41);
        var folders = Directory.GetDirectories(valid, "study*", SearchOption.AllDirectories);
        foreach (var patient in Directory.GetDirectories(valid, "patient*", SearchOption.AllDirectories))
        {
            File.WriteAllBytes(Path.Combine(patient, ".DS_Store"), [0, 0, 0, 1, 66, 117, 100, 49]);
        }

        File.WriteAllBytes(Path.Combine(folders[0], "._image1.png"), [0, 5, 22, 7]);
        File.WriteAllBytes(Path.Combine(folders[0], "Thumbs.db"), [0xD0, 0xCF]);
        File.WriteAllText(Path.Combine(folders[1], "desktop.ini"), "[.ShellClassInfo]");
        var mac = Directory.CreateDirectory(Path.Combine(_dir, "MURA-v1.1", "__MACOSX", "XR_HAND", "patient00001", "study1_negative")).FullName;
        File.WriteAllBytes(Path.Combine(mac, "._image1.png"), [0, 5, 22, 7]);
        var before = Snapshot(Path.Combine(_dir, "MURA-v1.1"));

        var outDir = Path.Combine(_dir, "out");
        var (code, result) = await ScreenCommand.RunAsync(new ScreenSettings([Path.Combine(_dir, "MURA-v1.1")], outDir, Path.Combine(outDir, "mura.db"), null), default);
        Assert.Equal(ExitCodes.Ok, code);
        var studies = ReadCsv(Path.Combine(outDir, "studies.csv"));
        Assert.Equal(folders.Length, studies.Count);
        Assert.Equal(folders.Length, result!.Studies.Count);
        Assert.Equal(Directory.GetFiles(valid, "*.png", SearchOption.AllDirectories).Count(f => !Path.GetFileName(f).StartsWith('.')), result.Views.Count);
        Assert.Equal(0, result.FailedViews);
        Assert.Equal(Directory.GetDirectories(valid, "patient*", SearchOption.AllDirectories).Length + 4, result.SkippedLitter);

        // studies.csv names each study's MURA folder, so results join to MURA's own CSVs.
        Assert.Equal(folders.Select(f => f + "/").Order(StringComparer.Ordinal), studies.Select(s => s[6]).Order(StringComparer.Ordinal));
        Assert.Equal(before, Snapshot(Path.Combine(_dir, "MURA-v1.1")));
    }

    [Fact]
    public async Task Muras_own_headerless_csvs_and_labels_spelled_as_words_evaluate_to_scikit_learns_kappa_on_the_same_join()
    {
        var valid = MuraTree(24, 43);
        var outDir = Path.Combine(_dir, "out");
        var (code, _) = await ScreenCommand.RunAsync(new ScreenSettings([valid], outDir, Path.Combine(outDir, "mura.db"), null), default);
        Assert.Equal(ExitCodes.Ok, code);

        // MURA's files as shipped: no header, paths under MURA-v1.1/valid/, a trailing slash on study folders.
        var folders = Directory.GetDirectories(valid, "study*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        string Shipped(string folder) => "MURA-v1.1/valid/" + Path.GetRelativePath(valid, folder).Replace('\\', '/');
        var studiesCsv = Path.Combine(_dir, "valid_labeled_studies.csv");
        File.WriteAllLines(studiesCsv, folders.Select(f => $"{Shipped(f)}/,{(f.EndsWith("_positive", StringComparison.Ordinal) ? 1 : 0)}"));
        var imagesCsv = Path.Combine(_dir, "valid_image_paths.csv");
        File.WriteAllLines(imagesCsv, folders.SelectMany(f => Directory.GetFiles(f, "*.png").Order(StringComparer.Ordinal).Select(i => $"{Shipped(f)}/{Path.GetFileName(i)}")));

        // Our own table with labels as words (what `labels import` accepts): the same figures.
        var words = Path.Combine(_dir, "words.csv");
        File.WriteAllLines(words, ["study_uid,label"], System.Text.Encoding.UTF8);
        File.AppendAllLines(words, File.ReadAllLines(Path.Combine(_dir, "phantom-labels.csv")).Skip(1).Select(Csv.Split).Select((r, i) => $"{r[0]},{(r[2] == "1" ? (i % 2 == 0 ? "positive" : "Abnormal") : (i % 2 == 0 ? "negative" : "normal"))}"));

        const string Script = """
            import csv, sys
            from sklearn.metrics import cohen_kappa_score
            truth = {}
            for row in csv.reader(open(sys.argv[1])):
                key = "/".join(row[0].rstrip("/").split("/")[-3:])
                truth[key] = int(row[1])
            y, p = [], []
            for r in csv.DictReader(open(sys.argv[2])):
                key = "/".join(r["study_path"].rstrip("/").split("/")[-3:])
                if r["score"] and key in truth:
                    y.append(truth[key]); p.append(int(r["abnormal"]))
            print(len(y), repr(cohen_kappa_score(y, p)))
            """;
        var (exit, stdout, stderr) = Peers.Python(Script, studiesCsv, Path.Combine(outDir, "studies.csv"));
        Assert.True(exit == 0, stderr);
        var reference = stdout.Trim().Split(' ');
        Assert.Equal(folders.Count, int.Parse(reference[0], CultureInfo.InvariantCulture));

        foreach (var labels in new[] { studiesCsv, imagesCsv, words })
        {
            var evalDir = Path.Combine(_dir, "eval-" + Path.GetFileNameWithoutExtension(labels));
            Directory.CreateDirectory(evalDir);
            foreach (var f in new[] { "studies.csv", "views.csv" })
            {
                File.Copy(Path.Combine(outDir, f), Path.Combine(evalDir, f));
            }

            Assert.Equal(ExitCodes.Ok, await MuraCommandLine.Build().Parse(["evaluate", "--labels", labels, "--out", evalDir, "--bootstrap", "100"]).InvokeAsync());
            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(evalDir, "evaluation.json")));
            var overall = report.RootElement.GetProperty("overall");
            Assert.Equal(folders.Count, overall.GetProperty("studies").GetInt32());
            Assert.Equal(double.Parse(reference[1], CultureInfo.InvariantCulture), overall.GetProperty("kappa").GetDouble(), 12);
        }
    }

    [Fact]
    public async Task The_same_threshold_setting_is_honoured_by_screen_and_by_serve()
    {
        var input = Path.Combine(_dir, "in");
        PhantomWriter.WriteAll(new PhantomGenerator(45, minSide: 400, maxSide: 560), 6, input, PhantomFormat.Dicom);
        var labels = Labels.Read(Path.Combine(input, "labels.csv")).Rows;
        File.Delete(Path.Combine(input, "labels.csv"));

        // Every part in the set gets threshold 0, by environment variable only, as README documents it.
        var env = labels.Select(l => l.BodyPart!).Distinct().ToDictionary(p => $"Inference__Thresholds__{p}", _ => "0");
        var screenOut = Path.Combine(_dir, "screen");
        var (code, _, stderr) = Peers.Mura(env, _dir, "screen", input, "--out", screenOut);
        Assert.True(code == 0, stderr);
        var screened = ReadCsv(Path.Combine(screenOut, "studies.csv"));
        Assert.Equal(labels.Count, screened.Count);
        Assert.All(screened, s => Assert.Equal("1", s[4]));
        Assert.Contains(screened, s => double.Parse(s[3], CultureInfo.InvariantCulture) < 0.5);

        // serve (embedded: in-memory bus, SQLite) with the same environment, fed through its watched folder.
        var watch = Directory.CreateDirectory(Path.Combine(_dir, "watch")).FullName;
        var db = Path.Combine(_dir, "serve.db");
        var serveEnv = new Dictionary<string, string>(env)
        {
            ["Database__SqliteFile"] = db,
            ["Ingest__QuietPeriodSeconds"] = "0.5",
            ["Ingest__SettleMs"] = "0",
            ["Ingest__ScanIntervalMs"] = "200",
        };
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Peers.MuraDll, "serve", "--roles", "ingest,inference", "--watch", watch, "--urls", "http://127.0.0.1:0" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in serveEnv)
        {
            psi.Environment[k] = v;
        }

        using var serve = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        serve.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        serve.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        try
        {
            Directory.Move(input, Path.Combine(watch, "batch"));
            List<(string Uid, double? Score, bool? Abnormal, int State)> rows = [];
            await Eventually.UntilAsync(
                () =>
                {
                    Assert.False(serve.HasExited, $"serve exited: {log}");
                    rows = File.Exists(db) ? ReadStudies(db) : [];
                    return rows.Count == labels.Count && rows.All(r => r.State == 2);
                },
                TimeSpan.FromMinutes(3),
                $"serve to score the {labels.Count} studies",
                () => { lock (log) { return log.ToString(); } });

            Assert.All(rows, r => Assert.True(r.Abnormal));
            Assert.Equal(
                screened.Select(s => (s[0], Math.Round(double.Parse(s[3], CultureInfo.InvariantCulture), 6))).Order(),
                rows.Select(r => (r.Uid, Math.Round(r.Score!.Value, 6))).Order());
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }

    private static List<(string Uid, double? Score, bool? Abnormal, int State)> ReadStudies(string db)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        try
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT \"StudyInstanceUid\", \"Score\", \"Abnormal\", \"State\" FROM studies";
            using var r = cmd.ExecuteReader();
            var rows = new List<(string, double?, bool?, int)>();
            while (r.Read())
            {
                rows.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetDouble(1), r.IsDBNull(2) ? null : r.GetBoolean(2), r.GetInt32(3)));
            }

            return rows;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return []; // the schema is not there yet
        }
    }

    private static List<(string, long, DateTime)> Snapshot(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f => (f, new FileInfo(f).Length, File.GetLastWriteTimeUtc(f))).ToList();
}
