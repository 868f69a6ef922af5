using System.Text.Json.Serialization;
using MuraPipeline.Contracts;

namespace MuraPipeline.Api;

/// <summary>The body of POST /api/studies/{uid}/verdicts: {"abnormal": true, "reader": "dr-lee", "body_part": "WRIST", "read_at": "2026-11-23T08:00:00Z"}; body_part and read_at are optional.</summary>
public sealed record VerdictRequest(
    [property: JsonPropertyName("abnormal")] bool? Abnormal,
    [property: JsonPropertyName("reader")] string? Reader,
    [property: JsonPropertyName("body_part")] string? BodyPart,
    [property: JsonPropertyName("read_at")] DateTimeOffset? ReadAt)
{
    /// <summary>What is wrong with the request, or null.</summary>
    public string? Problem() =>
        Abnormal is null ? "abnormal (true or false) is required"
        : string.IsNullOrWhiteSpace(Reader) || Reader.Length > 128 ? "reader (1-128 characters) is required"
        : BodyPart is not null && StudyTypes.Normalise(BodyPart) is null ? $"body_part '{BodyPart}' is not one of {string.Join(", ", StudyTypes.All)}"
        : null;
}
