using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;

namespace MuraPipeline.Ingest;

/// <summary>
/// Takes the watched folder's files: each instance the receiver hands in (<see cref="ReceivedInstances"/>) at once, and,
/// every <see cref="IngestOptions.ScanIntervalMs"/>, every file that has settled (not written to for
/// <see cref="IngestOptions.SettleMs"/>): what other tools drop there, and whatever a crash left behind.
/// </summary>
public sealed partial class WatchedFolderWorker(IServiceScopeFactory scopes, IOptions<IngestOptions> options, StorageWatch storage, ReceivedInstances received, TimeProvider clock, ILogger<WatchedFolderWorker> logger)
    : IngestLoop(scopes, clock, logger)
{
    private readonly IngestOptions _options = options.Value;
    private string? _waiting;
    private DateTimeOffset? _scanned;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ScanIntervalMs);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        // The scan, and the operators' requests to read a failed file again, keep the interval's pace; a pass woken by
        // the receiver takes only what it was handed (no folder walk, no database round trip of its own).
        var now = Clock.GetUtcNow();
        var scan = _scanned is null || now - _scanned >= Interval;
        if (scan)
        {
            await using var scope = Scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<FileIngest>().ReturnFilesToReadAgainAsync(ct);
        }

        // Handed-in paths are taken now or, while a volume is low, left in the folder for a scan once space is back.
        var handed = received.Take();

        // Below the watermark of a volume ingest writes to, files wait in the inbox (nothing is lost) until space is back.
        var low = storage.Low("archive", "failed", "database");
        if (low != _waiting)
        {
            if (low is null)
            {
                LogResumed(logger);
            }
            else
            {
                LogWaiting(logger, low);
            }

            _waiting = low;
        }

        if (low is not null)
        {
            return;
        }

        // A received instance is complete when it is handed in (written, synced and renamed into place); one that is
        // gone was taken by a scan in the meantime.
        var files = handed.Where(File.Exists).Select(Path.GetFullPath).ToList();
        if (scan)
        {
            _scanned = now;
            var settledBefore = now.UtcDateTime - TimeSpan.FromMilliseconds(_options.SettleMs);
            files.AddRange(InputFile.Enumerate([_options.WatchDir!]).Files
                .Where(f => File.GetLastWriteTimeUtc(f) <= settledBefore)
                .Select(Path.GetFullPath));
        }

        if (files.Count > 0)
        {
            await FileIngest.TakeAllAsync(Scopes, files.Distinct(StringComparer.Ordinal).ToList(), FileDisposition.Archive, _options.ResolvedParallelism, ct);
        }
    }

    /// <summary>Until the next scan is due or, after a pass that succeeded, until the receiver hands an instance in.</summary>
    protected override async Task WaitAsync(TimeSpan wait, bool afterFailure, CancellationToken ct)
    {
        if (afterFailure)
        {
            await base.WaitAsync(wait, afterFailure, ct);
            return;
        }

        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = await Task.WhenAny(Task.Delay(wait, Clock, either.Token), received.WaitAsync(either.Token));
        await either.CancelAsync();
        await first;
    }

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning, Message = "The watched folder waits: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(EventId = 2121, Level = LogLevel.Information, Message = "The watched folder takes files again: space is back above the watermark")]
    private static partial void LogResumed(ILogger logger);
}
