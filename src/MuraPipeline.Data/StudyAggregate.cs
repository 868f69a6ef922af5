namespace MuraPipeline.Data;

/// <summary>The MURA paper's study rule, as plain code (the database computes the same with AVG).</summary>
public static class StudyAggregate
{
    /// <summary>The arithmetic mean of the scored views' probabilities; null when no view was scored.</summary>
    public static double? Score(IEnumerable<double> viewProbabilities)
    {
        double sum = 0;
        var n = 0;
        foreach (var p in viewProbabilities)
        {
            if (double.IsNaN(p) || p < 0 || p > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(viewProbabilities), p, "a probability must lie in [0, 1]");
            }

            sum += p;
            n++;
        }

        return n == 0 ? null : sum / n;
    }

    /// <summary>Abnormal when the score reaches the body part's threshold (0.5 unless configured).</summary>
    public static bool IsAbnormal(double score, string? bodyPart, IReadOnlyDictionary<string, double>? thresholds) =>
        score >= (bodyPart is not null && thresholds is not null && thresholds.TryGetValue(bodyPart, out var t) ? t : Thresholds.Default);
}

public static class Thresholds
{
    public const double Default = 0.5;
}

/// <summary>
/// The per-body-part thresholds (configuration Inference:Thresholds:&lt;PART&gt;), read by every role that may complete a
/// study: inference when a last view is scored, ingest when a last view fails to ingest.
/// </summary>
public sealed class ScoringOptions
{
    public const string Section = "Inference";

    public Dictionary<string, double> Thresholds { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
