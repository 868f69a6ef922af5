namespace MuraPipeline.Api.Pages;

public sealed record StudyView(string SopInstanceUid, string? ViewPosition, string State, double? Probability, string? PredictedBodyPart, bool? Mismatch, string? Error, bool HasHeatmap, bool HasImage);
