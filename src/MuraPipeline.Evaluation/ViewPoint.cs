namespace MuraPipeline.Evaluation;

/// <summary>One scored view: the model's body part and its heatmap peak in the view's pixel grid.</summary>
public sealed record ViewPoint(string StudyInstanceUid, string SopInstanceUid, string File, string? PredictedBodyPart, double? PeakX, double? PeakY);
