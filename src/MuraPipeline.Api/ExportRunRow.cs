using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>One retraining export run, as `mura status` lists it.</summary>
public sealed record ExportRunRow(
    [property: JsonPropertyName("run")] long Run,
    [property: JsonPropertyName("trigger")] string Trigger,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("started")] DateTimeOffset Started,
    [property: JsonPropertyName("ended")] DateTimeOffset? Ended,
    [property: JsonPropertyName("studies")] int Studies,
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("skipped")] int Skipped,
    [property: JsonPropertyName("watermark")] long? Watermark,
    [property: JsonPropertyName("folder")] string? Folder,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("training")] string? Training,
    [property: JsonPropertyName("training_detail")] string? TrainingDetail);
