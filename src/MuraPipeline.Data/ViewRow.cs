namespace MuraPipeline.Data;

/// <summary>A view's outcome; the heatmap's peak is in the view's own pixel grid (where lesion boxes are drawn).</summary>
public sealed record ViewRow(string StudyInstanceUid, string SopInstanceUid, string File, ViewState State, double? Probability, string? PredictedBodyPart, bool? BodyPartMismatch, double? PeakX, double? PeakY, string? ModelSha256, string? Error, string? StudyBodyPart = null, string? BodyPartSource = null);
