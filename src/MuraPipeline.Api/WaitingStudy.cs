using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

public sealed record WaitingStudy(
    [property: JsonPropertyName("study_instance_uid")] string StudyInstanceUid,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("age_seconds")] double AgeSeconds);
