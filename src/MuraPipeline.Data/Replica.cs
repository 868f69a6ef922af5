namespace MuraPipeline.Data;

/// <summary>A serve process as it last reported itself: its roles, the model it scores with and when it last scored a batch.</summary>
public sealed class Replica
{
    /// <summary>Host name and process id, e.g. <c>worker-3:4711</c>.</summary>
    public required string Id { get; set; }

    public required string Roles { get; set; }

    public string? ModelSha256 { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public DateTimeOffset? LastBatchAt { get; set; }

    public long Batches { get; set; }
}
