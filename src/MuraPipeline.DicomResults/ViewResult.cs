namespace MuraPipeline.DicomResults;

/// <summary>One scored view, with what its source instance says and its picture.</summary>
public sealed record ViewResult(
    string SopInstanceUid,
    string SopClassUid,
    string SeriesInstanceUid,
    double Probability,
    string? PredictedBodyPart,
    byte[] DerivativePng,
    byte[]? CamGrid,
    int CamWidth,
    int CamHeight,
    string? Laterality = null);
