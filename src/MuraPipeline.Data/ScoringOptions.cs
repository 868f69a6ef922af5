namespace MuraPipeline.Data;

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
