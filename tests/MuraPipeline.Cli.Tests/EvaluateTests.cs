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
}
