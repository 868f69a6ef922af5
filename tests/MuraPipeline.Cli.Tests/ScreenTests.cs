using System.Globalization;
using MuraPipeline.Cli.Commands;
using MuraPipeline.Hosting.Embedded;
using MuraPipeline.Evaluation;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>The embedded `screen` end to end: real DICOM phantoms, the bundled ONNX model, MassTransit in memory, SQLite.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ScreenTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string Phantoms(int n, PhantomFormat format, ulong seed = 31)
    {
        var dir = Path.Combine(_dir, "in-" + format);
        PhantomWriter.WriteAll(new PhantomGenerator(seed, minSide: 500, maxSide: 700), n, dir, format);
        return dir;
    }

    private ScreenSettings Settings(string input, string outName = "out") =>
        new([input], Path.Combine(_dir, outName), Path.Combine(_dir, outName, "mura.db"), null);

    private static List<List<string>> ReadCsv(string path) => File.ReadAllLines(path).Skip(1).Select(Csv.Split).ToList();

    [Fact]
    public async Task Screen_scores_every_study_once_as_the_mean_of_its_views_and_a_rerun_scores_nothing_twice()
    {
        var input = Phantoms(6, PhantomFormat.Dicom);
        var settings = Settings(input);
        var (code, result) = await ScreenCommand.RunAsync(settings, default);
        Assert.Equal(ExitCodes.Ok, code);
        var labels = Labels.Read(Path.Combine(input, "labels.csv")).ByStudy;

        var studies = ReadCsv(Path.Combine(settings.OutDir, "studies.csv"));
        Assert.Equal(labels.Keys.Order(StringComparer.Ordinal), studies.Select(s => s[0]).Order(StringComparer.Ordinal));
        var views = ReadCsv(Path.Combine(settings.OutDir, "views.csv"));
        Assert.All(views, v => Assert.Equal("scored", v[3]));
        foreach (var s in studies)
        {
            var probabilities = views.Where(v => v[0] == s[0]).Select(v => double.Parse(v[4], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(int.Parse(s[2], CultureInfo.InvariantCulture), probabilities.Count);
            Assert.Equal(probabilities.Average(), double.Parse(s[3], CultureInfo.InvariantCulture), 1e-12);
            Assert.Equal(result!.ModelSha256, s[5]);
        }

        var html = await File.ReadAllTextAsync(Path.Combine(settings.OutDir, "report.html"));
        Assert.Equal(views.Count, html.Split("data:image/png;base64,").Length - 1);

        var (again, second) = await ScreenCommand.RunAsync(settings, default);
        Assert.Equal(ExitCodes.Ok, again);
        Assert.Equal(0, second!.QueuedThisRun);
        Assert.Equal(result!.Studies.Select(s => (s.StudyInstanceUid, s.Score)), second.Studies.Select(s => (s.StudyInstanceUid, s.Score)));
        Assert.Equal(studies.Count, ReadCsv(Path.Combine(settings.OutDir, "studies.csv")).Count);
    }

    [Fact]
    public async Task Study_types_come_from_real_headers_and_studies_outside_the_seven_are_never_called_normal()
    {
        var input = Phantoms(9, PhantomFormat.Dicom, seed: 37);
        var baseline = Settings(input, "base");
        Assert.Equal(ExitCodes.Ok, (await ScreenCommand.RunAsync(baseline, default)).Code);
        var before = ReadCsv(Path.Combine(baseline.OutDir, "studies.csv")).ToDictionary(r => r[0], r => r[3]);

        // The same studies as real archives label them: no Body Part Examined, local spellings, a description only, other parts.
        (string? BodyPart, string? Description, string? Type, string? Source)[] plan =
        [
            (null, "XR WRIST 3V LT", "WRIST", "description"),
            ("L HAND", null, "HAND", "dicom"),
            ("MANO", null, "HAND", "dicom"),
            ("UPPER EXTREMITY", "XR ELBOW RT", "ELBOW", "description"),
            ("ANKLE", "XR ANKLE 3V", null, "dicom"),
            (null, "XR CHEST PA", null, "description"),
            ("KNEE", null, null, "dicom"),
            (null, null, null, "model"),
            ("WRIST", null, "WRIST", "dicom"),
        ];
        var uids = PhantomWriter.Relabel(input, [.. plan.Select(p => (p.BodyPart, p.Description))]);

        var relabelled = Settings(input, "relabelled");
        Assert.Equal(ExitCodes.Ok, (await ScreenCommand.RunAsync(relabelled, default)).Code);
        var studies = ReadCsv(Path.Combine(relabelled.OutDir, "studies.csv")).ToDictionary(r => r[0]);
        var views = ReadCsv(Path.Combine(relabelled.OutDir, "views.csv"));
        for (var i = 0; i < plan.Length; i++)
        {
            var row = studies[uids[i]];
            var (_, _, type, source) = plan[i];
            if (type is null && source != "model")
            {
                // Out of scope: never scored, never called normal (nor abnormal), its views set aside with it, and the reason said.
                Assert.Equal(("out_of_scope", "", "", source), (row[8], row[3], row[4], row[7]));
                Assert.Contains("not one of the seven", row[9], StringComparison.Ordinal);
                Assert.All(views.Where(v => v[0] == uids[i]), v => Assert.Equal("out_of_scope", v[3]));
                continue;
            }

            Assert.Equal("scored", row[8]);
            // In scope: scored as before (to float32's precision: ONNX Runtime's batches may be made up differently).
            Assert.Equal(double.Parse(before[uids[i]], CultureInfo.InvariantCulture), double.Parse(row[3], CultureInfo.InvariantCulture), 1e-5);
            if (source == "model")
            {
                // Nothing in the headers: the views' majority, marked as the model's call.
                var majority = views.Where(v => v[0] == uids[i]).GroupBy(v => v[5]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
                Assert.Equal((majority, "model"), (row[1], row[7]));
            }
            else
            {
                Assert.Equal((type, source), (row[1], row[7]));
                Assert.All(views.Where(v => v[0] == uids[i]), v => Assert.Equal((type, source), (v[11], v[12])));
            }
        }
    }

    [Fact]
    public async Task Screen_on_a_mura_layout_tree_gives_one_row_per_study_folder()
    {
        var input = Phantoms(5, PhantomFormat.Mura);
        var folders = Directory.GetDirectories(input, "study*", SearchOption.AllDirectories);
        var settings = Settings(input);
        var (code, _) = await ScreenCommand.RunAsync(settings, default);
        Assert.Equal(ExitCodes.Ok, code);
        var studies = ReadCsv(Path.Combine(settings.OutDir, "studies.csv"));
        Assert.Equal(folders.Length, studies.Count);
        Assert.Equal(
            folders.Select(f => Imaging.MuraLayout.StudyUid(string.Join('/', f.Split('/')[^3..]))).Order(StringComparer.Ordinal),
            studies.Select(s => s[0]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bad_files_fail_their_views_with_reasons_while_every_other_study_is_scored()
    {
        var input = Phantoms(3, PhantomFormat.Dicom);
        File.WriteAllBytes(Path.Combine(input, "zero.dcm"), []);
        File.WriteAllBytes(Path.Combine(input, "noise.dcm"), Enumerable.Range(0, 3000).Select(i => (byte)(i * 37)).ToArray());
        var good = Directory.GetFiles(input, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First(f => !f.EndsWith("zero.dcm", StringComparison.Ordinal) && !f.EndsWith("noise.dcm", StringComparison.Ordinal));
        var bytes = await File.ReadAllBytesAsync(good);
        await File.WriteAllBytesAsync(Path.Combine(input, "truncated.bin"), bytes[..(bytes.Length / 3)]);
        var sr = new Dicom.DicomDataset();
        sr.AddString(Dicom.DicomTag.SopClassUid, "UI", "1.2.840.10008.5.1.4.1.1.88.22").AddString(Dicom.DicomTag.SopInstanceUid, "UI", "1.2.826.0.1.99.1").AddString(Dicom.DicomTag.StudyInstanceUid, "UI", "1.2.826.0.1.99");
        new Dicom.DicomFile(Dicom.DicomWriter.CreateMeta(sr), sr).Save(Path.Combine(input, "report-sr.dcm"));
        var png = Path.Combine(input, "XR_HAND", "patient00001", "study1_negative");
        Directory.CreateDirectory(png);
        await File.WriteAllBytesAsync(Path.Combine(png, "image1.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);

        var settings = Settings(input);
        var (code, result) = await ScreenCommand.RunAsync(settings, default);
        Assert.Equal(ExitCodes.SomeInputFailed, code);
        var views = ReadCsv(Path.Combine(settings.OutDir, "views.csv"));
        string Error(string file) => views.Single(v => v[2].EndsWith(file, StringComparison.Ordinal))[10]; // the error column
        Assert.Equal("file is empty (0 bytes)", Error("zero.dcm"));
        Assert.Contains("not a DICOM file", Error("noise.dcm"), StringComparison.Ordinal);
        Assert.Contains("Enhanced SR", Error("report-sr.dcm"), StringComparison.Ordinal);
        Assert.Contains("not a PNG", Error("image1.png"), StringComparison.Ordinal);
        // truncated.bin repeats the SOP Instance UID of a good file: the good copy is kept and scored.
        Assert.DoesNotContain(views, v => v[2].EndsWith("truncated.bin", StringComparison.Ordinal));
        var labels = Labels.Read(Path.Combine(input, "labels.csv")).ByStudy;
        Assert.All(labels.Keys, uid => Assert.NotNull(result!.Studies.Single(s => s.StudyInstanceUid == uid).Score));
    }

    [Fact]
    public async Task Missing_or_malformed_model_stops_the_run_before_any_input_is_read()
    {
        var input = Phantoms(1, PhantomFormat.Dicom);
        var bad = Path.Combine(_dir, "broken.onnx");
        await File.WriteAllTextAsync(bad, "garbage");
        foreach (var model in new[] { Path.Combine(_dir, "absent.onnx"), bad })
        {
            var settings = Settings(input, "out-" + Path.GetFileNameWithoutExtension(model)) with { ModelPath = model };
            var (code, result) = await ScreenCommand.RunAsync(settings, default);
            Assert.Equal(ExitCodes.StartFailed, code);
            Assert.Null(result);
            Assert.False(File.Exists(Path.Combine(settings.OutDir, "studies.csv")));
        }
    }

    [Fact]
    public void Auc_and_kappa_equal_scikit_learn()
    {
        var rng = new Random(4);
        var y = Enumerable.Range(0, 200).Select(_ => rng.Next(2)).ToList();
        var s = y.Select(l => Math.Round((l * 0.3) + rng.NextDouble(), 2)).ToList();
        var pred = s.Select(v => v >= 0.65 ? 1 : 0).ToList();
        var (code, stdout, stderr) = Peers.Python(
            "import sys; from sklearn.metrics import roc_auc_score, cohen_kappa_score; y=[int(v) for v in sys.argv[1].split(',')]; s=[float(v) for v in sys.argv[2].split(',')]; p=[int(v) for v in sys.argv[3].split(',')]; print(repr(roc_auc_score(y, s)), repr(cohen_kappa_score(y, p)))",
            string.Join(',', y), string.Join(',', s.Select(v => v.ToString(CultureInfo.InvariantCulture))), string.Join(',', pred));
        Assert.True(code == 0, stderr);
        var reference = stdout.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(reference[0], Metrics.Auc(y, s), 12);
        Assert.Equal(reference[1], Metrics.CohenKappa(y, pred), 12);
    }

    [Fact]
    public async Task Bundled_model_on_held_out_phantoms_points_at_the_lesions_and_evaluate_agrees_with_scikit_learn()
    {
        // The demo's held-out set (full-size phantoms from a seed the model never saw), screened end to end.
        var input = Path.Combine(_dir, "held-out");
        PhantomWriter.WriteAll(new PhantomGenerator(DemoCommand.DefaultSeed), 60, input, PhantomFormat.Dicom);
        var settings = Settings(input);
        var (code, _) = await ScreenCommand.RunAsync(settings, default);
        Assert.Equal(ExitCodes.Ok, code);
        var labelsPath = Path.Combine(input, "labels.csv");
        Assert.Equal(ExitCodes.Ok, await MuraCommandLine.Build().Parse(["evaluate", "--labels", labelsPath, "--out", settings.OutDir, "--bootstrap", "200"]).InvokeAsync());
        using var report = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(settings.OutDir, "evaluation.json")));
        var root = report.RootElement;

        var pointing = root.GetProperty("pointing_game").GetDouble();
        var boxed = root.GetProperty("pointing_game_detail").GetProperty("views").GetInt32();
        Assert.True(boxed >= 40, $"only {boxed} boxed views were scored");
        Assert.True(pointing >= 0.80, $"pointing game {pointing:0.000} over {boxed} abnormal views");
        Assert.True(root.GetProperty("body_part").GetProperty("accuracy").GetDouble() >= 0.9);

        var (exit, stdout, stderr) = Peers.Python(
            """
            import csv, sys
            from sklearn.metrics import cohen_kappa_score, roc_auc_score
            labels = {r["study_uid"]: int(r["label"]) for r in csv.DictReader(open(sys.argv[1]))}
            rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["score"]]
            y = [labels[r["study_uid"]] for r in rows]
            print(repr(cohen_kappa_score(y, [int(r["abnormal"]) for r in rows])), repr(roc_auc_score(y, [float(r["score"]) for r in rows])))
            """,
            labelsPath,
            Path.Combine(settings.OutDir, "studies.csv"));
        Assert.True(exit == 0, stderr);
        var reference = stdout.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(reference[0], root.GetProperty("overall").GetProperty("kappa").GetDouble(), 12);
        Assert.Equal(reference[1], root.GetProperty("overall").GetProperty("auc").GetDouble(), 12);

        // The same evaluation read from the run's database instead of its CSVs; a database that is not there is refused.
        var fromDb = Path.Combine(_dir, "from-db");
        Assert.Equal(ExitCodes.Ok, await MuraCommandLine.Build().Parse(["evaluate", "--labels", labelsPath, "--db", settings.DatabaseFile, "--out", fromDb, "--bootstrap", "200"]).InvokeAsync());
        using var again = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(fromDb, "evaluation.json")));
        foreach (var (path, value) in new[] { ("overall.kappa", reference[0]), ("overall.auc", reference[1]), ("pointing_game", pointing) })
        {
            var e = again.RootElement;
            foreach (var part in path.Split('.'))
            {
                e = e.GetProperty(part);
            }

            Assert.Equal(value, e.GetDouble(), 12);
        }

        Assert.Equal(ExitCodes.StartFailed, await MuraCommandLine.Build().Parse(["evaluate", "--labels", labelsPath, "--db", Path.Combine(_dir, "no-such.db")]).InvokeAsync());
        Assert.False(File.Exists(Path.Combine(_dir, "no-such.db")));
    }
}
