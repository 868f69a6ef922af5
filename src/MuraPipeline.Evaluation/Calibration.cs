
namespace MuraPipeline.Evaluation;

/// <summary>
/// Per-body-part thresholds on study scores: the one that maximises Cohen's kappa (the MURA paper's measure), or the
/// highest one that still reaches a target sensitivity (the most specific operating point that misses no more than
/// a screening service accepts). A study is abnormal when its score is at or above the threshold.
/// </summary>
public static class Calibration
{
    public static IReadOnlyList<PartThreshold> Choose(IReadOnlyList<StudyPrediction> predictions, IReadOnlyDictionary<string, StudyLabel> labels, double? targetSensitivity)
    {
        var result = new List<PartThreshold>();
        var joined = predictions.Where(p => labels.ContainsKey(p.StudyInstanceUid)).ToList();
        foreach (var group in joined.GroupBy(p => Evaluator.StudyType(labels[p.StudyInstanceUid], p)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var truth = group.Select(p => labels[p.StudyInstanceUid].Label).ToArray();
            var scores = group.Select(p => p.Score).ToArray();
            var before = Nullable(Metrics.CohenKappa(truth, group.Select(p => p.Abnormal).ToArray()));
            if (truth.All(t => t == truth[0]))
            {
                result.Add(new PartThreshold(group.Key, truth.Length, null, before, null, null, null, "needs both normal and abnormal studies"));
                continue;
            }

            var t = targetSensitivity is { } s ? ForSensitivity(truth, scores, s) : MaxKappa(truth, scores);
            var calls = scores.Select(x => x >= t ? 1 : 0).ToArray();
            var tp = truth.Zip(calls).Count(z => z is (1, 1));
            var tn = truth.Zip(calls).Count(z => z is (0, 0));
            result.Add(new PartThreshold(group.Key, truth.Length, t, before, Nullable(Metrics.CohenKappa(truth, calls)), (double)tp / truth.Count(x => x == 1), (double)tn / truth.Count(x => x == 0), null));
        }

        return result;
    }

    /// <summary>
    /// The threshold with the highest kappa among the midpoints between consecutive distinct scores (and one below
    /// the lowest, one above the highest); of equally good ones, the one nearest 0.5.
    /// </summary>
    public static double MaxKappa(int[] truth, double[] scores)
    {
        var best = (Kappa: double.NegativeInfinity, Threshold: 0.5);
        foreach (var t in Candidates(scores))
        {
            var k = Metrics.CohenKappa(truth, scores.Select(x => x >= t ? 1 : 0).ToArray());
            if (double.IsNaN(k))
            {
                continue;
            }

            if (k > best.Kappa + 1e-12 || (Math.Abs(k - best.Kappa) <= 1e-12 && Math.Abs(t - 0.5) < Math.Abs(best.Threshold - 0.5)))
            {
                best = (k, t);
            }
        }

        return best.Threshold;
    }

    /// <summary>The highest threshold whose sensitivity reaches <paramref name="target"/>: the score of the ⌈target·P⌉-th highest abnormal study.</summary>
    public static double ForSensitivity(int[] truth, double[] scores, double target)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(target, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(target, 1);
        var positives = truth.Zip(scores).Where(z => z.First == 1).Select(z => z.Second).OrderByDescending(x => x).ToArray();
        var needed = (int)Math.Ceiling((target * positives.Length) - 1e-9);
        return positives[Math.Clamp(needed, 1, positives.Length) - 1];
    }

    private static IEnumerable<double> Candidates(double[] scores)
    {
        var distinct = scores.Distinct().Order().ToArray();
        yield return Math.Max(0, distinct[0] - 1e-6);
        for (var i = 0; i + 1 < distinct.Length; i++)
        {
            yield return (distinct[i] + distinct[i + 1]) / 2;
        }

        yield return Math.Min(1, distinct[^1] + 1e-6);
    }

    private static double? Nullable(double v) => double.IsNaN(v) ? null : v;
}
