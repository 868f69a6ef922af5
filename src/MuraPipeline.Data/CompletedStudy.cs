namespace MuraPipeline.Data;

/// <summary>A study whose last view just ended, as committed: what the role that ended it announces.</summary>
public sealed record CompletedStudy(Guid StudyId, string StudyInstanceUid, string? BodyPart, int ScoredViews, int FailedViews, double? Score, bool? Abnormal, string? ModelSha256);
