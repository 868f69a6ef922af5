namespace MuraPipeline.Api.Pages;

/// <summary>What recording a verdict did: refused with a reason, the study unknown, or recorded (possibly a repeat).</summary>
public sealed record VerdictRecorded(string? Problem, bool UnknownStudy, long? Id, bool Duplicate);
