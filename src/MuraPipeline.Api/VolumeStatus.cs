using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>One volume this process writes: its free space against the watermark, and the bytes its folder holds.</summary>
public sealed record VolumeStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("free_bytes")] long FreeBytes,
    [property: JsonPropertyName("total_bytes")] long TotalBytes,
    [property: JsonPropertyName("min_free_bytes")] long MinFreeBytes,
    [property: JsonPropertyName("low")] bool Low,
    [property: JsonPropertyName("folder_bytes")] long? FolderBytes);
