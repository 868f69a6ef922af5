using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>The results outbox: objects made, and deliveries by state.</summary>
public sealed record ResultsStatus(
    [property: JsonPropertyName("objects")] int Objects,
    [property: JsonPropertyName("pending")] int Pending,
    [property: JsonPropertyName("sent")] int Sent,
    [property: JsonPropertyName("failed")] int Failed);
