namespace MuraPipeline.ServiceDefaults;

/// <summary>What this process tells the others about itself: filled by its roles, written by the host's heartbeat.</summary>
public sealed class ReplicaState
{
    private readonly object _lock = new();
    private string? _model;
    private DateTimeOffset? _lastBatch;
    private long _batches;

    /// <summary>How often a serve process writes its row; a row not written for four of these is a replica gone.</summary>
    public static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(10);

    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>An inference batch was scored with <paramref name="modelSha256"/>.</summary>
    public void BatchScored(string modelSha256, DateTimeOffset at)
    {
        lock (_lock)
        {
            _model = modelSha256;
            _lastBatch = at;
            _batches++;
        }
    }

    public (string? Model, DateTimeOffset? LastBatch, long Batches) Read()
    {
        lock (_lock)
        {
            return (_model, _lastBatch, _batches);
        }
    }
}
