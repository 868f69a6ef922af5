namespace MuraPipeline.Data;

/// <summary>
/// A study's outcome as the reports show it. <see cref="StudyPath"/> is the MURA study folder of a PNG-tree study (so
/// results join to MURA's own CSVs), null for DICOM.
/// </summary>
public sealed record StudyRow(string StudyInstanceUid, string? BodyPart, int Views, int ScoredViews, int FailedViews, double? Score, bool? Abnormal, string? ModelSha256, StudyState State, string? StudyPath, string? BodyPartSource = null, string? OutOfScopeReason = null);
