namespace MuraPipeline.Contracts;

/// <summary>
/// One view is ready for scoring. The 8-bit derivative (PNG, long side at most 512) travels with it, so an
/// inference worker needs no file system; the database row keyed by <see cref="SopInstanceUid"/> is the truth.
/// </summary>
public sealed record ViewQueued(
    Guid ViewId,
    Guid StudyId,
    string StudyInstanceUid,
    string SopInstanceUid,
    string? BodyPart,
    byte[] DerivativePng);

/// <summary>
/// A study's last view reached a terminal state and its score was computed (or every view failed: then
/// <see cref="Score"/> is null). Published by whichever role completed it: inference, or ingest when a last view
/// could not be read. <see cref="ModelSha256"/> is null when no view was scored.
/// </summary>
public sealed record StudyScored(
    Guid StudyId,
    string StudyInstanceUid,
    string? BodyPart,
    int ScoredViews,
    int FailedViews,
    double? Score,
    bool? Abnormal,
    string? ModelSha256);
