namespace MuraPipeline.Evaluation;

/// <summary>
/// One study's ground truth as a labels file gives it. <see cref="BodyPart"/> is null when the file has none (then the
/// study's own body part is used); <see cref="Line"/> is the file line it came from, for error messages.
/// </summary>
public sealed record StudyLabel(string StudyInstanceUid, string? BodyPart, int Label, string? Reader = null, DateTimeOffset? ReadAt = null, int Line = 0);
