using System.Text.Json;
using System.Text.Json.Serialization;
using MuraPipeline.Data;

namespace MuraPipeline.Api;

/// <summary>What `mura status --json` prints and GET /api/status returns. State names are the lower-case view states; a study still assembling counts as received.</summary>
public sealed record PipelineStatus(
    [property: JsonPropertyName("studies")] SortedDictionary<string, int> Studies,
    [property: JsonPropertyName("views")] SortedDictionary<string, int> Views,
    [property: JsonPropertyName("queues")] IReadOnlyList<QueueStatus> Queues,
    [property: JsonPropertyName("scored_per_minute")] double ScoredPerMinute,
    [property: JsonPropertyName("oldest_waiting")] WaitingStudy? OldestWaiting,
    [property: JsonPropertyName("database")] string Database,
    [property: JsonPropertyName("broker")] string Broker,
    [property: JsonPropertyName("broker_error")] string? BrokerError,
    [property: JsonPropertyName("exports")] IReadOnlyList<ExportRunRow> Exports,
    [property: JsonPropertyName("pulls")] PullStatus Pulls,
    [property: JsonPropertyName("results")] ResultsStatus Results,
    [property: JsonPropertyName("storage")] StorageStatus Storage)
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Name(StudyState s) => s switch
    {
        StudyState.Open => "received",
        StudyState.Queued => "queued",
        StudyState.Scored => "scored",
        StudyState.OutOfScope => "out_of_scope",
        _ => "failed",
    };

    public static string Name(ViewState s) => s == ViewState.OutOfScope ? "out_of_scope" : s.ToString().ToLowerInvariant();
}
