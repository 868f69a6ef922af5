using System.ComponentModel.DataAnnotations;

namespace MuraPipeline.Ingest;

/// <summary>The "Ingest" configuration section of the ingest role.</summary>
public sealed class IngestOptions : IValidatableObject
{
    public const string Section = "Ingest";

    /// <summary>The watched folder (DICOM files or a MURA-layout PNG tree); `mura serve --watch DIR` sets it.</summary>
    public string? WatchDir { get; set; }

    /// <summary>Where ingested files go once their rows are committed, under their path relative to the watched folder. Default: WATCH.archive beside it.</summary>
    public string? ArchiveDir { get; set; }

    /// <summary>Where files that cannot be ingested go, each with a .reason.txt. Default: WATCH.failed beside it.</summary>
    public string? FailedDir { get; set; }

    /// <summary>A study is queued once no new instance has arrived for this long.</summary>
    [Range(0, 86_400)]
    public double QuietPeriodSeconds { get; set; } = 10;

    /// <summary>A file found by the scan is read only when it has not changed for this long (a writer may still be copying it); the receiver's instances are handed over complete and taken at once.</summary>
    [Range(0, 600_000)]
    public int SettleMs { get; set; } = 1000;

    /// <summary>How often the watched folder is scanned (for files other tools drop there, and what a crash left) and quiet studies are looked for.</summary>
    [Range(50, 600_000)]
    public int ScanIntervalMs { get; set; } = 1000;

    /// <summary>How long one replica's claim on a study it is assembling lasts before another may take it over.</summary>
    [Range(1, 86_400)]
    public int LeaseSeconds { get; set; } = 120;

    /// <summary>A view left Queued longer than this is sent again by the reconciler.</summary>
    [Range(1, 86_400 * 7)]
    public double ReconcileAfterSeconds { get; set; } = 600;

    /// <summary>How often the reconciler looks for views left Queued too long.</summary>
    [Range(100, 3_600_000)]
    public int ReconcileIntervalMs { get; set; } = 30_000;

    /// <summary>After this many re-sends without a result a view fails (its reason says so) instead of circling forever.</summary>
    [Range(1, 1000)]
    public int MaxRequeues { get; set; } = 5;

    /// <summary>
    /// Views sent to inference and not yet scored, at most: study assembly waits for room. Each message carries its
    /// derivative (about 150 KB), so an unbounded backlog would sit in the broker's memory, or, embedded, in this
    /// process's. A whole study is queued at once, so the bound can be passed by one study's views. The default keeps
    /// eight batches of 16 in flight; with several inference replicas, allow each of them that many.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxQueuedViews { get; set; } = 128;

    /// <summary>Files read at once (decoding is CPU work); 0 means one per processor.</summary>
    [Range(0, 256)]
    public int Parallelism { get; set; }

    public int ResolvedParallelism => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;

    public string ResolvedArchiveDir => WatchDir is not { Length: > 0 } ? string.Empty : Path.GetFullPath(ArchiveDir ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(WatchDir!)) + ".archive");

    public string ResolvedFailedDir => WatchDir is not { Length: > 0 } ? string.Empty : Path.GetFullPath(FailedDir ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(WatchDir!)) + ".failed");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WatchDir is { Length: > 0 } && !Directory.Exists(WatchDir))
        {
            yield return new ValidationResult($"Ingest:WatchDir {WatchDir} does not exist", [nameof(WatchDir)]);
        }
    }
}
