using System.Globalization;
using System.Text.Json;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>`mura evaluate` against an independent computation: scikit-learn (Debian's python3-sklearn) on the same CSVs.</summary>
public sealed class EvaluateTests : IDisposable
{
    private static readonly string[] Parts = ["ELBOW", "FINGER", "FOREARM", "HAND", "HUMERUS", "SHOULDER", "WRIST"];
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Kappa_auc_sensitivity_specificity_and_confusion_equal_scikit_learn_overall_and_per_study_type()
    {
        // 350 studies with informative but imperfect scores; a few scored without a label and labelled without a score.
        var rng = new Random(7);
        var labels = new List<string> { "study_uid,body_part,label,finding" };
        var studies = new List<string> { "study_uid,body_part,views,score,abnormal,model_sha256" };
        for (var i = 0; i < 350; i++)
        {
            var part = Parts[i % Parts.Length];
            var label = rng.NextDouble() < 0.45 ? 1 : 0;
            var score = Math.Clamp((label * 0.35) + (rng.NextDouble() * 0.65), 0, 1);
            if (i % 50 != 7)
            {
                labels.Add($"s{i},{part},{label},x");
            }

            if (i % 60 != 11)
            {
                studies.Add(string.Create(CultureInfo.InvariantCulture, $"s{i},{part},2,{score:R},{(score >= 0.5 ? 1 : 0)},abc"));
            }
        }

        var labelsPath = Path.Combine(_dir, "labels.csv");
        File.WriteAllLines(labelsPath, labels);
        File.WriteAllLines(Path.Combine(_dir, "studies.csv"), studies);

        var code = MuraCommandLine.Build().Parse(["evaluate", "--labels", labelsPath, "--out", _dir, "--bootstrap", "500"]).Invoke();
        Assert.Equal(ExitCodes.Ok, code);
        using var ours = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "evaluation.json")));

        const string Script = """
            import csv, json, sys
            from sklearn.metrics import cohen_kappa_score, roc_auc_score, confusion_matrix
            labels = {r["study_uid"]: r for r in csv.DictReader(open(sys.argv[1]))}
            rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["study_uid"] in labels]
            def group(rs):
                y = [int(labels[r["study_uid"]]["label"]) for r in rs]
                p = [int(r["abnormal"]) for r in rs]
                s = [float(r["score"]) for r in rs]
                tn, fp, fn, tp = confusion_matrix(y, p, labels=[0, 1]).ravel()
                return {"studies": len(rs), "kappa": cohen_kappa_score(y, p), "auc": roc_auc_score(y, s),
                        "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp),
                        "confusion": {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}}
            out = {"overall": group(rows), "by_study_type": {}}
            for part in sorted({labels[r["study_uid"]]["body_part"] for r in rows}):
                out["by_study_type"][part] = group([r for r in rows if labels[r["study_uid"]]["body_part"] == part])
            print(json.dumps(out))
            """;
        var (exit, stdout, stderr) = Peers.Python(Script, labelsPath, Path.Combine(_dir, "studies.csv"));
        Assert.True(exit == 0, stderr);
        using var reference = JsonDocument.Parse(stdout);

        void Same(JsonElement mine, JsonElement theirs, string where)
        {
            Assert.Equal(theirs.GetProperty("studies").GetInt32(), mine.GetProperty("studies").GetInt32());
            foreach (var metric in new[] { "kappa", "auc", "sensitivity", "specificity" })
            {
                Assert.True(Math.Abs(theirs.GetProperty(metric).GetDouble() - mine.GetProperty(metric).GetDouble()) < 1e-12, $"{where} {metric}: sklearn {theirs.GetProperty(metric)}, ours {mine.GetProperty(metric)}");
            }

            foreach (var cell in new[] { "tp", "fp", "tn", "fn" })
            {
                Assert.Equal(theirs.GetProperty("confusion").GetProperty(cell).GetInt32(), mine.GetProperty("confusion").GetProperty(cell).GetInt32());
            }

            // The bootstrap interval brackets the point estimate.
            var ci = mine.GetProperty("kappa_ci").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var kappa = mine.GetProperty("kappa").GetDouble();
            Assert.True(ci[0] <= kappa && kappa <= ci[1] && ci[0] < ci[1], $"{where}: kappa {kappa} outside its CI [{ci[0]}, {ci[1]}]");
        }

        Same(ours.RootElement.GetProperty("overall"), reference.RootElement.GetProperty("overall"), "overall");
        var parts = reference.RootElement.GetProperty("by_study_type").EnumerateObject().ToList();
        Assert.Equal(7, parts.Count);
        foreach (var p in parts)
        {
            Same(ours.RootElement.GetProperty("by_study_type").GetProperty(p.Name), p.Value, p.Name);
        }

        Assert.Equal(studies.Count - 1 - (labels.Count - 1) + ours.RootElement.GetProperty("unscored_studies").GetInt32(), ours.RootElement.GetProperty("unlabelled_studies").GetInt32());
        Assert.True(ours.RootElement.GetProperty("unlabelled_studies").GetInt32() > 0);
    }

    [Fact]
    public void Pointing_game_and_body_part_accuracy_equal_an_independent_computation_from_the_csvs()
    {
        // 120 studies of 1-3 views; abnormal ones carry boxes (by SOP UID, or by MURA path for every fifth study);
        // peaks land inside, on the edge of, or outside their boxes; a few views have no heatmap or failed.
        var rng = new Random(11);
        var labels = new List<string> { "study_uid,body_part,label,finding,views,boxes" };
        var studies = new List<string> { "study_uid,body_part,views,score,abnormal,model_sha256" };
        var views = new List<string> { "study_uid,sop_instance_uid,file,state,probability,predicted_body_part,body_part_mismatch,peak_x,peak_y,model_sha256,error" };
        for (var i = 0; i < 120; i++)
        {
            var part = Parts[i % Parts.Length];
            var abnormal = i % 2;
            var boxes = new List<string>();
            var n = 1 + (i % 3);
            for (var v = 0; v < n; v++)
            {
                var sop = $"1.2.{i}.{v}";
                var file = $"/data/XR_{part}/patient{i:00000}/study1_{(abnormal == 1 ? "positive" : "negative")}/image{v + 1}.png";
                var (x0, y0) = (rng.Next(0, 800), rng.Next(0, 800));
                var (x1, y1) = (x0 + rng.Next(20, 200), y0 + rng.Next(20, 200));
                if (abnormal == 1)
                {
                    boxes.Add(i % 5 == 0 ? $"XR_{part}/patient{i:00000}/study1_positive/image{v + 1}.png {x0} {y0} {x1} {y1}" : $"{sop} {x0} {y0} {x1} {y1}");
                }

                var (px, py) = (v % 3) switch
                {
                    0 => (x0 + ((x1 - x0) * rng.NextDouble()), y0 + ((y1 - y0) * rng.NextDouble())),
                    1 => (x1 + 1.0, (double)y0),
                    _ => (x1 + 2 + (rng.NextDouble() * 50), y0 + (rng.NextDouble() * 10)),
                };
                var predicted = rng.NextDouble() < 0.85 ? part : Parts[(i + 1) % Parts.Length];
                var state = i % 17 == 3 && v == 0 ? "failed" : "scored";
                var peak = i % 13 == 5 ? "," : string.Create(CultureInfo.InvariantCulture, $"{px:R},{py:R}");
                views.Add($"s{i},{sop},{file},{state},0.5,{(state == "scored" ? predicted : string.Empty)},0,{peak},abc,");
            }

            labels.Add($"s{i},{part},{abnormal},x,{n},{string.Join(';', boxes)}");
            studies.Add(string.Create(CultureInfo.InvariantCulture, $"s{i},{part},{n},{0.3 + (0.4 * abnormal)},{abnormal},abc"));
        }

        var labelsPath = Path.Combine(_dir, "labels.csv");
        File.WriteAllLines(labelsPath, labels);
        File.WriteAllLines(Path.Combine(_dir, "studies.csv"), studies);
        File.WriteAllLines(Path.Combine(_dir, "views.csv"), views);
        Assert.Equal(ExitCodes.Ok, MuraCommandLine.Build().Parse(["evaluate", "--labels", labelsPath, "--out", _dir, "--bootstrap", "100"]).Invoke());
        using var ours = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "evaluation.json")));

        const string Script = """
            import csv, json, sys
            labels = {r["study_uid"]: r for r in csv.DictReader(open(sys.argv[1]))}
            views = [r for r in csv.DictReader(open(sys.argv[2])) if r["state"] == "scored"]
            parts = [v for v in views if v["predicted_body_part"] and v["study_uid"] in labels]
            correct = sum(v["predicted_body_part"] == labels[v["study_uid"]]["body_part"] for v in parts)
            def key(p): return "/".join(p.split("/")[-4:])
            by_view = {}
            for r in labels.values():
                for b in filter(None, r["boxes"].split(";")):
                    name, x0, y0, x1, y1 = b.split(" ")
                    by_view.setdefault(name, []).append((int(x0), int(y0), int(x1), int(y1)))
            hits = total = 0
            for name, boxes in by_view.items():
                match = [v for v in views if v["peak_x"] and (v["sop_instance_uid"] == name or key(v["file"]) == key(name))]
                if not match: continue
                px, py = float(match[0]["peak_x"]), float(match[0]["peak_y"])
                total += 1
                hits += any(x0 <= px <= x1 + 1 and y0 <= py <= y1 + 1 for x0, y0, x1, y1 in boxes)
            print(json.dumps({"body_part": [len(parts), correct], "pointing": [total, hits]}))
            """;
        var (exit, stdout, stderr) = Peers.Python(Script, labelsPath, Path.Combine(_dir, "views.csv"));
        Assert.True(exit == 0, stderr);
        using var reference = JsonDocument.Parse(stdout);
        var bodyPart = reference.RootElement.GetProperty("body_part").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var pointing = reference.RootElement.GetProperty("pointing").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var root = ours.RootElement;
        Assert.Equal(bodyPart[0], root.GetProperty("body_part").GetProperty("views").GetInt32());
        Assert.Equal(bodyPart[1], root.GetProperty("body_part").GetProperty("correct").GetInt32());
        Assert.Equal(pointing[0], root.GetProperty("pointing_game_detail").GetProperty("views").GetInt32());
        Assert.Equal(pointing[1], root.GetProperty("pointing_game_detail").GetProperty("correct").GetInt32());
        Assert.Equal((double)pointing[1] / pointing[0], root.GetProperty("pointing_game").GetDouble(), 1e-12);
        Assert.InRange(pointing[1], 1, pointing[0] - 1);
    }

    [Fact]
    public async Task Calibrate_chooses_per_body_part_thresholds_that_raise_kappa_and_stores_them_with_the_model()
    {
        // WRIST scores run low (abnormal 0.25-0.45, normal 0.0-0.2): 0.5 calls everything normal, a calibrated threshold separates them.
        var rng = new Random(5);
        var labels = new List<string> { "study_uid,body_part,label" };
        var studies = new List<string> { "study_uid,body_part,views,score,abnormal,model_sha256" };
        const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for (var i = 0; i < 80; i++)
        {
            var part = i % 2 == 0 ? "WRIST" : "ELBOW";
            var label = (i / 2) % 2;
            var score = part == "WRIST" ? (label == 1 ? 0.25 + (0.2 * rng.NextDouble()) : 0.2 * rng.NextDouble()) : (label == 1 ? 0.45 + (0.5 * rng.NextDouble()) : 0.55 * rng.NextDouble());
            labels.Add($"c{i},{part},{label}");
            studies.Add(string.Create(CultureInfo.InvariantCulture, $"c{i},{part},1,{score:R},{(score >= 0.5 ? 1 : 0)},{Sha}"));
        }

        var labelsPath = Path.Combine(_dir, "labels.csv");
        File.WriteAllLines(labelsPath, labels);
        File.WriteAllLines(Path.Combine(_dir, "studies.csv"), studies);
        var db = Path.Combine(_dir, "mura.db");

        // The model must be registered in the run's database first (a screen run registers the model it used).
        Assert.Equal(ExitCodes.StartFailed, await MuraCommandLine.Build().Parse(["calibrate", "--labels", labelsPath, "--out", _dir]).InvokeAsync());
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Data.MuraDbContext>();
        Data.DatabaseSetup.UseEmbeddedSqlite(options, db);
        await using (var context = new Data.MuraDbContext(options.Options))
        {
            await Data.DatabaseSetup.MigrateAsync(context, default);
            await new Data.ModelRegistry(context, TimeProvider.System).AddAsync(Sha, "m", "/m.onnx", "mura", null, [1], default);
        }

        Assert.Equal(ExitCodes.Ok, await MuraCommandLine.Build().Parse(["calibrate", "--labels", labelsPath, "--out", _dir]).InvokeAsync());
        using var chosen = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "thresholds.json")));
        var wrist = chosen.RootElement.GetProperty("thresholds").GetProperty("WRIST").GetDouble();
        Assert.InRange(wrist, 0.2, 0.25);
        var rows = chosen.RootElement.GetProperty("by_study_type").EnumerateArray().ToDictionary(e => e.GetProperty("body_part").GetString()!);
        Assert.Equal(1.0, rows["WRIST"].GetProperty("kappa_after").GetDouble(), 1e-12);
        Assert.True(rows["WRIST"].GetProperty("kappa_before").GetDouble() < 0.1);
        Assert.True(rows["ELBOW"].GetProperty("kappa_after").GetDouble() >= rows["ELBOW"].GetProperty("kappa_before").GetDouble());

        await using (var context = new Data.MuraDbContext(options.Options))
        {
            var stored = Data.ModelRegistry.ParseThresholds(context.ModelVersions.Single(m => m.Sha256 == Sha).Thresholds);
            Assert.Equal(wrist, stored["WRIST"], 1e-12);
        }

        // A target sensitivity: the most specific threshold that still finds 90% of abnormal ELBOW studies.
        Assert.Equal(ExitCodes.Ok, await MuraCommandLine.Build().Parse(["calibrate", "--labels", labelsPath, "--out", _dir, "--target-sensitivity", "0.9"]).InvokeAsync());
        using var sensitive = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "thresholds.json")));
        var elbow = sensitive.RootElement.GetProperty("by_study_type").EnumerateArray().Single(e => e.GetProperty("body_part").GetString() == "ELBOW");
        Assert.True(elbow.GetProperty("sensitivity").GetDouble() >= 0.9);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
