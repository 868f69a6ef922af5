using MuraPipeline.Contracts;
using MuraPipeline.Data;

namespace MuraPipeline.Inference;

/// <summary>The event inference publishes when the outcome it recorded was a study's last: every role learns the study is done.</summary>
internal static class StudyScoredMessage
{
    public static StudyScored From(CompletedStudy c) => new(c.StudyId, c.StudyInstanceUid, c.BodyPart, c.ScoredViews, c.FailedViews, c.Score, c.Abnormal, c.ModelSha256);
}
