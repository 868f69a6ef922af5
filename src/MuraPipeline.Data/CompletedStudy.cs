using MuraPipeline.Contracts;

namespace MuraPipeline.Data;

/// <summary>A study whose last view just ended, as committed.</summary>
public sealed record CompletedStudy(Guid StudyId, string StudyInstanceUid, string? BodyPart, int ScoredViews, int FailedViews, double? Score, bool? Abnormal, string? ModelSha256)
{
    /// <summary>The event that tells every role the study is done.</summary>
    public StudyScored ToMessage() => new(StudyId, StudyInstanceUid, BodyPart, ScoredViews, FailedViews, Score, Abnormal, ModelSha256);
}
