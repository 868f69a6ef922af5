using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

public sealed record QueueStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ready")] long Ready,
    [property: JsonPropertyName("unacked")] long Unacked,
    [property: JsonPropertyName("consumers")] long Consumers);
