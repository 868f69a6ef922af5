using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>A scored study as GET /api/worklist lists it.</summary>
public sealed record WorklistItem(
    [property: JsonPropertyName("study_instance_uid")] string StudyInstanceUid,
    [property: JsonPropertyName("body_part")] string? BodyPart,
    [property: JsonPropertyName("body_part_source")] string? BodyPartSource,
    [property: JsonPropertyName("views")] int Views,
    [property: JsonPropertyName("scored_views")] int ScoredViews,
    [property: JsonPropertyName("failed_views")] int FailedViews,
    [property: JsonPropertyName("score")] double? Score,
    [property: JsonPropertyName("abnormal")] bool? Abnormal,
    [property: JsonPropertyName("model_sha256")] string? ModelSha256);
