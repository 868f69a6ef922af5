namespace MuraPipeline.Ingest;

/// <summary>One file's outcome and the study it was filed under.</summary>
public sealed record IngestedFile(string Path, FileOutcome Outcome, Guid StudyId, string? Reason);
