namespace MuraPipeline.Data;

/// <summary>A study's views that ingest is about to publish.</summary>
public sealed record QueueableStudy(Guid StudyId, string StudyInstanceUid, string? BodyPart, IReadOnlyList<QueueableView> Views);
