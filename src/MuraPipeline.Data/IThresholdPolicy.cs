namespace MuraPipeline.Data;

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
