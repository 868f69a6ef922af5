namespace MuraPipeline.Api.Pages;

public sealed record FailedView(Guid ViewId, string SopInstanceUid, string StudyInstanceUid, string? BodyPart, string Reason, DateTimeOffset At, bool Retryable, string SourcePath);
