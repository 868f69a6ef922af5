namespace MuraPipeline.Pacs;

/// <summary>Where a C-GET puts what it retrieves: the ingest role's watched folder, so pulled instances take the normal ingest path.</summary>
public sealed record PullTarget(string? ReceiveDir);
