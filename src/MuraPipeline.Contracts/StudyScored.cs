namespace MuraPipeline.Contracts;

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
