namespace MuraPipeline.Data;

/// <summary>What recording a set of verdicts did.</summary>
public sealed record VerdictsRecorded(int Recorded, int Duplicates, int UnknownStudies, long? LastId);
