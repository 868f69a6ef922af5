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

    /// <summary>Abnormal when the score reaches the study's threshold (the operating point of <see cref="IThresholdPolicy"/>).</summary>
    public static bool IsAbnormal(double score, double threshold) => score >= threshold;
}

/// <summary>
/// The one threshold policy every study call goes through (completion, the promotion gate, evaluate, calibrate): the
/// scoring model's calibrated threshold for the body part, else the configured Inference:Thresholds:PART, else 0.5.
/// Implemented in MuraPipeline.Evaluation; declared here so the store can ask it when it completes a study.
/// </summary>
public interface IThresholdPolicy
{
    /// <summary>The operating point for a study of <paramref name="bodyPart"/> scored by <paramref name="modelSha256"/> (either may be unknown).</summary>
    ValueTask<double> ThresholdAsync(string? modelSha256, string? bodyPart, CancellationToken ct);
}

public static class Thresholds
{
    public const double Default = 0.5;
}

/// <summary>The configured per-body-part thresholds (Inference:Thresholds:&lt;PART&gt;) for models without calibrated ones.</summary>
public sealed class ScoringOptions
{
    public const string Section = "Inference";

    /// <summary>The score at or above which a study of this body part (WRIST, ELBOW…) is flagged abnormal, for models without calibrated thresholds; unset: 0.5.</summary>
    public Dictionary<string, double> Thresholds { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a model's calibrated thresholds are cached before they are read again (a calibrate in this process refreshes them at once).</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public int ThresholdRefreshSeconds { get; set; } = 30;
}
