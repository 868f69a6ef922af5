using Prometheus;

namespace MuraPipeline.ServiceDefaults;

/// <summary>
/// The pipeline's Prometheus metrics, one set per process (each serve process exposes its own at <c>/metrics</c>).
/// Counters move only for what a committed transaction changed, so over the processes of a run they add up to the
/// database's counts. Names follow Prometheus' conventions: <c>mura_…_total</c> for counters, base units (<c>_seconds</c>).
/// </summary>
public static class MuraMetrics
{
    // First in the file, so it runs before any metric below is made: the process's own CPU, memory and file
    // descriptors stay; .NET's event counters and meters are not exported (their names follow other conventions).
    private static readonly bool DefaultsChosen = ChooseDefaults();

    private static readonly object ModelLock = new();
    private static string? _activeModel;

    public static Counter FilesIngested { get; } = Metrics.CreateCounter("mura_files_ingested_total", "Files whose view was registered with its derivative, by source (dicom, png).", "source");

    public static Counter IngestWriterSeconds { get; } = Metrics.CreateCounter("mura_ingest_writer_seconds_total", "Time ingest's one writer held a transaction open: the serialised part of ingest (divide by the files registered for its share of a view).");

    public static Histogram IngestWriterGroups { get; } = Metrics.CreateHistogram(
        "mura_ingest_writer_group_size", "Files registered in one of ingest's transactions (group commit).", new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    public static Counter FilesFailed { get; } = Metrics.CreateCounter("mura_files_failed_total", "Files that could not be ingested, by reason.", "reason");

    public static Counter StudiesOutOfScope { get; } = Metrics.CreateCounter("mura_studies_out_of_scope_total", "Studies set aside unscreened: their headers name a part outside the seven upper-extremity types, or their images are not radiographs.");

    public static Counter ViewsQueued { get; } = Metrics.CreateCounter("mura_views_queued_total", "Views sent to inference (a re-send counts again).");

    public static Counter ViewsScored { get; } = Metrics.CreateCounter("mura_views_scored_total", "Views scored.");

    public static Counter ViewsFailed { get; } = Metrics.CreateCounter("mura_views_failed_total", "Views failed, by the stage that failed them (ingest, inference).", "stage");

    public static Histogram InferenceBatchSize { get; } = Metrics.CreateHistogram(
        "mura_inference_batch_size", "Views in one inference batch.", new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128] });

    public static Histogram InferenceBatchSeconds { get; } = Metrics.CreateHistogram(
        "mura_inference_batch_duration_seconds", "Time to score one batch: decode, model and the database's record.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });

    public static Histogram ReceiptToScoreSeconds { get; } = Metrics.CreateHistogram(
        "mura_view_receipt_to_score_seconds", "From a view's receipt (its row) to its score.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.25, 2, 18) });

    public static Gauge ActiveModel { get; } = Metrics.CreateGauge("mura_active_model_info", "The model version (SHA-256) this process scores with; the value is 1.", "sha256");

    public static Gauge StorageFreeBytes { get; } = Metrics.CreateGauge("mura_storage_free_bytes", "Free bytes on each volume this process writes (inbox, archive, failed, exports, database).", "volume");

    public static Gauge StorageBytes { get; } = Metrics.CreateGauge("mura_storage_bytes", "Bytes stored, by kind: the archive, inbox, failed and exports folders' files, and the database's derivatives, heatmaps, result objects and whole size (measured every few minutes).", "kind");

    public static Gauge ScpAssociationsOpen { get; } = Metrics.CreateGauge("mura_scp_associations_open", "DICOM associations open on this process's receiver.");

    public static Counter PullStudies { get; } = Metrics.CreateCounter("mura_pull_studies_total", "Studies of pull jobs that ended, by outcome (received, already_here, failed).", "outcome");

    public static Counter PulledInstances { get; } = Metrics.CreateCounter("mura_pulled_instances_total", "Instances a PACS sent us for a pull job (completed sub-operations).", "retrieve");

    public static Counter ResultObjects { get; } = Metrics.CreateCounter("mura_result_objects_total", "DICOM result objects made (SR and Secondary Captures).");

    public static Counter ResultsSent { get; } = Metrics.CreateCounter("mura_result_sends_total", "Result object deliveries attempted, by outcome (sent, failed).", "outcome");

    public static Counter ExportRuns { get; } = Metrics.CreateCounter("mura_export_runs_total", "Export runs ended, by status (succeeded, failed).", "status");

    private static bool ChooseDefaults()
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressProcessMetrics = false, SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
        return true;
    }

    /// <summary>Makes every metric exist (at zero) before the first scrape, whatever this process's roles touch.</summary>
    public static bool Register() => DefaultsChosen;

    /// <summary>The model this process now scores with: its series is 1, the one before it is gone.</summary>
    public static void SetActiveModel(string sha256)
    {
        lock (ModelLock)
        {
            if (_activeModel is { } old && old != sha256)
            {
                ActiveModel.RemoveLabelled(old);
            }

            ActiveModel.WithLabels(sha256).Set(1);
            _activeModel = sha256;
        }
    }

    /// <summary>Sets a gauge from live state just before each scrape.</summary>
    public static void BeforeScrape(Action update) => Metrics.DefaultRegistry.AddBeforeCollectCallback(update);

    /// <summary>The exposition of every metric of this process, in Prometheus' text format.</summary>
    public static Task WriteAsync(Stream output, CancellationToken ct) => Metrics.DefaultRegistry.CollectAndExportAsTextAsync(output, ct);
}
