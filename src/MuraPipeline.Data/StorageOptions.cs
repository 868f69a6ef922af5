using System.ComponentModel.DataAnnotations;

namespace MuraPipeline.Data;

/// <summary>The "Storage" configuration section: the free-space watermark every volume a process writes must stay above.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Below this much free space on a volume, what writes to it waits (the receiver refuses with A700, pulls pause, the watched folder stops taking files); 0: no absolute floor.</summary>
    [Range(0, long.MaxValue / (1024 * 1024))]
    public long MinFreeMegabytes { get; set; } = 512;

    /// <summary>The same as a share of the volume's size; the stricter of the two applies. 0: none.</summary>
    [Range(0, 99)]
    public double MinFreePercent { get; set; } = 2;
}
