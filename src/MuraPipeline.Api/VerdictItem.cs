using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>A recorded verdict as GET /api/studies/{uid}/verdicts lists it.</summary>
public sealed record VerdictItem(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("abnormal")] bool Abnormal,
    [property: JsonPropertyName("body_part")] string? BodyPart,
    [property: JsonPropertyName("reader")] string Reader,
    [property: JsonPropertyName("read_at")] DateTimeOffset ReadAt,
    [property: JsonPropertyName("recorded_at")] DateTimeOffset RecordedAt,
    [property: JsonPropertyName("source")] string? Source);
