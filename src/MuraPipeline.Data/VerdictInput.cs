namespace MuraPipeline.Data;

/// <summary>A verdict as a reader or an import gives it.</summary>
public sealed record VerdictInput(string StudyInstanceUid, bool Abnormal, string? BodyPart, string ReaderId, DateTimeOffset? ReadAt);
