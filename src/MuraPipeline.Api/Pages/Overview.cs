using System.Text.Json.Serialization;

namespace MuraPipeline.Api.Pages;

/// <summary>What the overview page polls: the very document of /api/status, the last hour's scoring per minute, and the replicas seen.</summary>
public sealed record Overview(
    [property: JsonPropertyName("status")] PipelineStatus Status,
    [property: JsonPropertyName("scored_per_minute_last_hour")] int[] ScoredPerMinute,
    [property: JsonPropertyName("replicas")] IReadOnlyList<ReplicaRow> Replicas);
