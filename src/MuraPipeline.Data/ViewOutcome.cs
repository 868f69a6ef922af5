namespace MuraPipeline.Data;

/// <summary>One view's outcome from an inference batch.</summary>
public sealed record ViewOutcome(Guid ViewId, double? Probability, string? PredictedBodyPart, string? Error, Heatmap? Heatmap);
