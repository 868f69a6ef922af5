using System.Text.Json.Serialization;

namespace MuraPipeline.Api;

/// <summary>
/// Storage: each volume's free space (a low one pauses what writes to it), and what is stored by kind, in all and
/// per view, so a department sizes its disks (measured every few minutes).
/// </summary>
public sealed record StorageStatus(
    [property: JsonPropertyName("volumes")] IReadOnlyList<VolumeStatus> Volumes,
    [property: JsonPropertyName("low")] string? Low,
    [property: JsonPropertyName("views")] long Views,
    [property: JsonPropertyName("bytes")] SortedDictionary<string, long> Bytes,
    [property: JsonPropertyName("bytes_per_view")] SortedDictionary<string, long> BytesPerView);
