namespace MuraPipeline.Contracts;

/// <summary>
/// One view is ready for scoring. The 8-bit derivative (PNG, long side at most 512) travels with it, so an
/// inference worker needs no file system; the database row keyed by <see cref="SopInstanceUid"/> is the truth.
/// </summary>
public sealed record ViewQueued(
    Guid ViewId,
    Guid StudyId,
    string StudyInstanceUid,
    string SopInstanceUid,
    string? BodyPart,
    byte[] DerivativePng);
