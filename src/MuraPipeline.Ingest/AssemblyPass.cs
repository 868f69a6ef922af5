namespace MuraPipeline.Ingest;

/// <summary>What one assembly pass queued: studies and views (and which studies), whether it stopped for want of room, and the studies it set aside as out of scope.</summary>
public sealed record AssemblyPass(int Studies, int Views, bool Full, IReadOnlyList<Guid> QueuedStudies, IReadOnlyList<Guid> SetAside);
