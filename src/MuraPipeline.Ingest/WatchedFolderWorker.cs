using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>Scans the watched folder and takes every file that has settled (not written to for <see cref="IngestOptions.SettleMs"/>).</summary>
public sealed partial class WatchedFolderWorker(IServiceScopeFactory scopes, IOptions<IngestOptions> options, StorageWatch storage, TimeProvider clock, ILogger<WatchedFolderWorker> logger)
    : IngestLoop(scopes, clock, logger)
{
    private readonly IngestOptions _options = options.Value;
    private string? _waiting;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ScanIntervalMs);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await using (var scope = Scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<FileIngest>().ReturnFilesToReadAgainAsync(ct);
        }

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

        var settledBefore = Clock.GetUtcNow().UtcDateTime - TimeSpan.FromMilliseconds(_options.SettleMs);
        var files = InputFile.Enumerate([_options.WatchDir!]).Files
            .Where(f => File.GetLastWriteTimeUtc(f) <= settledBefore)
            .ToList();
        await FileIngest.TakeAllAsync(Scopes, files, FileDisposition.Archive, _options.ResolvedParallelism, ct);
    }

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning, Message = "The watched folder waits: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(EventId = 2121, Level = LogLevel.Information, Message = "The watched folder takes files again: space is back above the watermark")]
    private static partial void LogResumed(ILogger logger);
}
