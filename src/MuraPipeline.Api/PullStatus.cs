using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>PACS pull jobs: active jobs and their studies by state.</summary>
public sealed record PullStatus(
    [property: JsonPropertyName("active_jobs")] int ActiveJobs,
    [property: JsonPropertyName("pending")] int Pending,
    [property: JsonPropertyName("retrieving")] int Retrieving,
    [property: JsonPropertyName("received")] int Received,
    [property: JsonPropertyName("failed")] int Failed);
