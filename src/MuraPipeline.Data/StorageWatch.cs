using System.Globalization;
using Microsoft.Extensions.Options;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Data;

/// <summary>
/// Free space on the volumes this process writes, measured whenever asked, exported as
/// <c>mura_storage_free_bytes{volume}</c>. What writes asks <see cref="Low"/> before it takes more: below the
/// watermark it waits, and it goes on by itself once space is back (after retention, or an operator's clean-up).
/// </summary>
public sealed class StorageWatch
{
    private readonly IReadOnlyList<StorageVolume> _volumes;
    private readonly StorageOptions _options;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private (StorageUsage Usage, IReadOnlyDictionary<string, long> Folders)? _usage;
    private DateTimeOffset _usageMeasured = DateTimeOffset.MinValue;

    /// <summary>How long a measure of what is stored (a walk of every folder, sums over the database) is reused.</summary>
    public static readonly TimeSpan UsageInterval = TimeSpan.FromMinutes(5);

    public StorageWatch(IEnumerable<StorageVolume> volumes, IOptions<StorageOptions> options, TimeProvider clock)
    {
        _volumes = [.. volumes.Where(v => !string.IsNullOrWhiteSpace(v.Path)).GroupBy(v => v.Name, StringComparer.Ordinal).Select(g => g.First())];
        _options = options.Value;
        _clock = clock;
        MuraMetrics.BeforeScrape(() => Check());
    }

    /// <summary>Every volume's space, measured now (a statvfs a volume: microseconds, so a refusal never rests on a stale reading).</summary>
    public IReadOnlyList<VolumeSpace> Check()
    {
        IReadOnlyList<VolumeSpace> now = [.. _volumes.Select(Measure)];
        foreach (var v in now)
        {
            MuraMetrics.StorageFreeBytes.WithLabels(v.Name).Set(v.FreeBytes);
        }

        return now;
    }

    /// <summary>Why writing to the named volumes (every one, when none is named) must wait now; null when all are above the watermark.</summary>
    public string? Low(params string[] names)
    {
        var low = Check().FirstOrDefault(v => v.Low && (names.Length == 0 || names.Contains(v.Name, StringComparer.Ordinal)));
        return low is null ? null
            : $"the {low.Name} volume ({low.Path}) has {Mb(low.FreeBytes)} MB free, below the {Mb(low.MinFreeBytes)} MB that Storage:MinFreeMegabytes and Storage:MinFreePercent keep free";
    }

    /// <summary>
    /// What is stored, by kind: the database's (read by <paramref name="read"/>) and each watched folder's files,
    /// measured at most every <see cref="UsageInterval"/> (a walk of a million files takes seconds) and exported as
    /// <c>mura_storage_bytes{kind}</c>.
    /// </summary>
    public async Task<(StorageUsage Usage, IReadOnlyDictionary<string, long> Folders)> UsageAsync(Func<CancellationToken, Task<StorageUsage>> read, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_usage is { } cached && _clock.GetUtcNow() - _usageMeasured < UsageInterval)
            {
                return cached;
            }
        }

        var usage = await read(ct);
        var folders = _volumes.Where(v => v.Name != "database").ToDictionary(v => v.Name, v => FolderBytes(v.Path), StringComparer.Ordinal);
        lock (_gate)
        {
            _usage = (usage, folders);
            _usageMeasured = _clock.GetUtcNow();
        }

        foreach (var (kind, bytes) in folders.Append(new("derivatives", usage.Derivatives)).Append(new("heatmaps", usage.Heatmaps))
            .Append(new("result_objects", usage.ResultObjects)).Append(new("database", usage.Database)))
        {
            MuraMetrics.StorageBytes.WithLabels(kind).Set(bytes);
        }

        return (usage, folders);
    }

    private static long FolderBytes(string path)
    {
        if (!Directory.Exists(path))
        {
            return 0;
        }

        long bytes = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
        {
            bytes += file.Length;
        }

        return bytes;
    }

    private VolumeSpace Measure(StorageVolume volume)
    {
        // The folder may not exist yet: its nearest existing parent is on the same volume.
        var path = Path.GetFullPath(volume.Path);
        while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent)
        {
            path = parent;
        }

        var drive = new DriveInfo(path);
        var total = drive.TotalSize;
        var floor = Math.Max(_options.MinFreeMegabytes * 1024 * 1024, (long)(total * _options.MinFreePercent / 100));
        return new VolumeSpace(volume.Name, volume.Path, drive.AvailableFreeSpace, total, floor);
    }

    private static string Mb(long bytes) => (bytes / (1024 * 1024)).ToString("N0", CultureInfo.InvariantCulture);
}
