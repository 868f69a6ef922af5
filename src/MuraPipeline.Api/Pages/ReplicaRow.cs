namespace MuraPipeline.Api.Pages;

/// <summary>One inference (or other) replica as its heartbeat last wrote it.</summary>
public sealed record ReplicaRow(string Id, string Roles, string? Model, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt, DateTimeOffset? LastBatchAt, long Batches, bool Stale);
