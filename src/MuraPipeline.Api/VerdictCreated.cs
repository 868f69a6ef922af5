using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>The answer to POST /api/studies/{uid}/verdicts: the verdict's id, and whether the same one was already recorded.</summary>
public sealed record VerdictCreated(
    [property: JsonPropertyName("id")] long? Id,
    [property: JsonPropertyName("duplicate")] bool Duplicate);
