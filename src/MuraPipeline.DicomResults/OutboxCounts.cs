namespace MuraPipeline.DicomResults;

/// <summary>Outbox counts by state, for `mura status` and the console.</summary>
public sealed record OutboxCounts(int Objects, int Pending, int Sent, int Failed);
