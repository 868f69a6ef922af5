namespace MuraPipeline.Scheduler;

/// <summary>One retention run: each kind, and whether anything was changed.</summary>
public sealed record RetentionReport(bool DryRun, IReadOnlyList<RetentionKind> Kinds);
