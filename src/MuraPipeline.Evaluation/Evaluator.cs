using System.Globalization;

namespace MuraPipeline.Evaluation;

/// <summary>
/// Study-level evaluation against labels: Cohen's kappa at the operating point with a percentile bootstrap 95%
/// confidence interval (studies resampled with replacement), AUC, sensitivity, specificity and the confusion
/// matrix, overall and per study type.
/// </summary>
public static class Evaluator
{
    public static EvaluationReport Evaluate(IReadOnlyList<StudyPrediction> predictions, IReadOnlyDictionary<string, StudyLabel> labels, IReadOnlyList<ViewPoint> views, IReadOnlyList<LabelBox> boxes, int resamples = 2000, int seed = 2026)
    {
        var joined = predictions.Where(p => labels.ContainsKey(p.StudyInstanceUid)).Select(p => (Prediction: p, Label: labels[p.StudyInstanceUid])).ToList();
        if (joined.Count == 0)
        {
            throw new InvalidDataException("no scored study has a label: do the labels belong to these studies?");
        }

        var scored = predictions.Select(p => p.StudyInstanceUid).ToHashSet(StringComparer.Ordinal);
        var byType = new SortedDictionary<string, GroupEvaluation>(StringComparer.Ordinal);
        foreach (var group in joined.GroupBy(j => StudyType(j.Label, j.Prediction)))
        {
            byType[group.Key] = Group(group.ToList(), resamples, seed);
        }

        var bodyPart = BodyPartAccuracy(views, labels);
        var pointing = PointingGame(views, boxes);
        return new EvaluationReport(
            Group(joined, resamples, seed),
            byType,
            bodyPart,
            pointing?.Accuracy,
            pointing,
            predictions.Count - joined.Count,
            labels.Keys.Count(k => !scored.Contains(k)),
            new BootstrapSettings(resamples, seed, 0.95));
    }

    private static GroupEvaluation Group(List<(StudyPrediction Prediction, StudyLabel Label)> rows, int resamples, int seed)
    {
        var truth = rows.Select(r => r.Label.Label).ToArray();
        var calls = rows.Select(r => r.Prediction.Abnormal).ToArray();
        var scores = rows.Select(r => r.Prediction.Score).ToArray();
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            (tp, fp, tn, fn) = (truth[i], calls[i]) switch
            {
                (1, 1) => (tp + 1, fp, tn, fn),
                (0, 1) => (tp, fp + 1, tn, fn),
                (0, _) => (tp, fp, tn + 1, fn),
                _ => (tp, fp, tn, fn + 1),
            };
        }

        var kappa = Metrics.CohenKappa(truth, calls);
        var auc = Metrics.Auc(truth, scores);
        var (kappaCi, aucCi) = Bootstrap(truth, calls, scores, resamples, seed);
        // Undefined statistics (one class only in a group) are null in the JSON, never a made-up number.
        return new GroupEvaluation(
            rows.Count,
            double.IsNaN(kappa) ? null : kappa,
            double.IsNaN(kappa) || double.IsNaN(kappaCi[0]) ? null : kappaCi,
            double.IsNaN(auc) ? null : auc,
            double.IsNaN(auc) || double.IsNaN(aucCi[0]) ? null : aucCi,
            tp + fn == 0 ? null : (double)tp / (tp + fn),
            tn + fp == 0 ? null : (double)tn / (tn + fp),
            new Confusion(tp, fp, tn, fn));
    }

    /// <summary>The study type a labelled study is reported under: the label's body part, else the study's own.</summary>
    public static string StudyType(StudyLabel label, StudyPrediction prediction) => (label.BodyPart ?? prediction.BodyPart).ToUpperInvariant();

    /// <summary>Of the labelled studies' views with a predicted body part, the share whose prediction is the study's labelled type; null without views.</summary>
    public static ViewEvaluation? BodyPartAccuracy(IReadOnlyList<ViewPoint> views, IReadOnlyDictionary<string, StudyLabel> labels)
    {
        var rows = views.Where(v => v.PredictedBodyPart is not null && labels.TryGetValue(v.StudyInstanceUid, out var l) && l.BodyPart is not null).ToList();
        if (rows.Count == 0)
        {
            return null;
        }

        var correct = rows.Count(v => string.Equals(v.PredictedBodyPart, labels[v.StudyInstanceUid].BodyPart, StringComparison.OrdinalIgnoreCase));
        return new ViewEvaluation(rows.Count, correct, (double)correct / rows.Count);
    }

    /// <summary>
    /// The pointing game: of the boxed views that have a heatmap, the share whose peak falls on one of that view's
    /// boxes. A box names its view by SOP Instance UID or by a MURA-layout path that the view's file ends with.
    /// Null when no boxed view was scored with a heatmap.
    /// </summary>
    public static ViewEvaluation? PointingGame(IReadOnlyList<ViewPoint> views, IReadOnlyList<LabelBox> boxes)
    {
        if (boxes.Count == 0)
        {
            return null;
        }

        var bySop = views.Where(v => v.PeakX is not null).GroupBy(v => v.SopInstanceUid, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byPath = views.Where(v => v.PeakX is not null).ToLookup(v => MuraKey(v.File), StringComparer.OrdinalIgnoreCase);
        int total = 0, hits = 0;
        foreach (var group in boxes.GroupBy(b => b.View, StringComparer.Ordinal))
        {
            var view = bySop.GetValueOrDefault(group.Key) ?? byPath[MuraKey(group.Key)].FirstOrDefault();
            if (view is null)
            {
                continue;
            }

            total++;
            hits += group.Any(b => b.Contains(view.PeakX!.Value, view.PeakY!.Value)) ? 1 : 0;
        }

        return total == 0 ? null : new ViewEvaluation(total, hits, (double)hits / total);
    }

    /// <summary>The last four path segments (XR_PART/patient/study/image.png), the part of a MURA path that names a view.</summary>
    private static string MuraKey(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('/', parts.TakeLast(4));
    }

    /// <summary>Percentile bootstrap: 2.5th and 97.5th percentiles over resamples where the statistic is defined.</summary>
    private static (double[] Kappa, double[] Auc) Bootstrap(int[] truth, int[] calls, double[] scores, int resamples, int seed)
    {
        var rng = new Random(seed);
        var kappas = new List<double>(resamples);
        var aucs = new List<double>(resamples);
        var t = new int[truth.Length];
        var c = new int[truth.Length];
        var s = new double[truth.Length];
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < truth.Length; i++)
            {
                var k = rng.Next(truth.Length);
                (t[i], c[i], s[i]) = (truth[k], calls[k], scores[k]);
            }

            var kappa = Metrics.CohenKappa(t, c);
            if (!double.IsNaN(kappa))
            {
                kappas.Add(kappa);
            }

            var auc = Metrics.Auc(t, s);
            if (!double.IsNaN(auc))
            {
                aucs.Add(auc);
            }
        }

        return (Percentiles(kappas), Percentiles(aucs));
    }

    private static double[] Percentiles(List<double> values)
    {
        if (values.Count == 0)
        {
            return [double.NaN, double.NaN];
        }

        values.Sort();
        return [Quantile(values, 0.025), Quantile(values, 0.975)];
    }

    /// <summary>Linear interpolation between order statistics (numpy's default).</summary>
    private static double Quantile(List<double> sorted, double q)
    {
        var h = (sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }

    /// <summary>Predictions from a screen run's studies.csv (study_uid, body_part, views, score, abnormal, model_sha256).</summary>
    public static List<StudyPrediction> ReadStudiesCsv(string path)
    {
        return Csv.ReadRows(path, "study_uid", "body_part", "score", "abnormal")
            .Where(row => row("score").Length > 0) // a study whose views all failed has no score
            .Select(row => new StudyPrediction(row("study_uid"), row("body_part"), double.Parse(row("score"), CultureInfo.InvariantCulture), row("abnormal") == "1" ? 1 : 0, row("model_sha256") is { Length: > 0 } sha ? sha : null))
            .ToList();
    }

    /// <summary>Scored views from a screen run's views.csv; empty when the file is absent (a studies-only evaluation).</summary>
    public static List<ViewPoint> ReadViewsCsv(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        static double? Number(string s) => s.Length == 0 ? null : double.Parse(s, CultureInfo.InvariantCulture);
        return Csv.ReadRows(path, "study_uid", "sop_instance_uid", "file", "state", "predicted_body_part", "peak_x", "peak_y")
            .Where(row => row("state") == "scored")
            .Select(row => new ViewPoint(row("study_uid"), row("sop_instance_uid"), row("file"), row("predicted_body_part") is { Length: > 0 } p ? p : null, Number(row("peak_x")), Number(row("peak_y"))))
            .ToList();
    }
}
