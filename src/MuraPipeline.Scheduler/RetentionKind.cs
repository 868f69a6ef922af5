namespace MuraPipeline.Scheduler;

/// <summary>What retention took (or, in a dry run, would take) of one kind of data.</summary>
public sealed record RetentionKind(string Kind, TimeSpan? After, int Count, long Bytes);
