namespace MuraPipeline.Api.Pages;

public sealed record VerdictRow(long Id, bool Abnormal, string? BodyPart, string Reader, DateTimeOffset ReadAt, DateTimeOffset RecordedAt, string Source);
