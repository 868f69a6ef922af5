using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using Polly;
using Polly.Retry;

namespace MuraPipeline.Ingest;

/// <summary>The ingest role's loops: each a <see cref="BackgroundLoop"/> whose passes work in scopes of their own.</summary>
public abstract class IngestLoop(IServiceScopeFactory scopes, TimeProvider clock, ILogger logger) : BackgroundLoop(clock, logger)
{
    protected IServiceScopeFactory Scopes => scopes;
}

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

/// <summary>
/// Study assembly: claims studies quiet since a moment with a lease (so of several ingest replicas one sends each),
/// sends a <see cref="ViewQueued"/> per view not yet sent to the score queue, then marks the studies Queued. The ingest
/// role runs it on a timer after the quiet period; `screen` runs it on each study whose files are all in.
/// </summary>
public sealed partial class StudyAssembler(StudyStore store, ScoreQueue scoreQueue, IOptions<IngestOptions> options, ILogger<StudyAssembler> logger)
{
    /// <summary>This replica's name on its claims: host, process and a random part, so a restarted process is a new owner.</summary>
    public static readonly string Owner = $"{Guid.NewGuid():N}/{Environment.ProcessId}/{Environment.MachineName}" is var o && o.Length > 128 ? o[..128] : o;

    /// <summary>
    /// One pass over at most <paramref name="max"/> studies quiet since <paramref name="quietSince"/>, taking studies
    /// while fewer than <see cref="IngestOptions.MaxQueuedViews"/> views are out with inference; returns the studies and
    /// views it queued, and <c>Full</c> when it stopped for want of room. With <paramref name="among"/>, only those studies.
    /// </summary>
    public async Task<AssemblyPass> AssembleAsync(DateTimeOffset quietSince, int max, CancellationToken ct, IReadOnlyCollection<Guid>? among = null)
    {
        var limit = options.Value.MaxQueuedViews;
        var room = limit - await store.CountQueuedViewsAsync(limit, ct);
        if (room <= 0)
        {
            return new AssemblyPass(0, 0, true, [], []);
        }

        // A pass's worth claimed, read, sent and marked set-wise: a handful of statements per pass, not per study.
        var claimed = await store.ClaimQuietStudiesAsync(Owner, quietSince, TimeSpan.FromSeconds(options.Value.LeaseSeconds), Math.Min(max, room), ct, among);

        // A study whose headers name a part outside the seven (or that is not radiography) is set aside, never scored.
        var aside = await store.SetAsideOutOfScopeAsync(claimed, Owner, ct);
        foreach (var (_, uid, reason) in aside)
        {
            MuraMetrics.StudiesOutOfScope.Inc();
            LogOutOfScope(logger, uid, reason);
        }

        if (aside.Count > 0)
        {
            claimed = [.. claimed.Except(aside.Select(a => a.Id))];
        }

        var queueable = await store.QueueableStudiesAsync(claimed, ct);

        // A study is taken while there is room; what the room does not take is handed back at once, not left to its lease.
        // (A study left out for want of a derivative keeps its claim until the lease lapses.)
        var taken = new List<QueueableStudy>();
        foreach (var study in queueable)
        {
            if (room <= 0)
            {
                break;
            }

            taken.Add(study);
            room -= study.Views.Count;
        }

        var full = taken.Count < queueable.Count;
        if (full)
        {
            await store.ReleaseClaimsAsync(queueable.Skip(taken.Count).Select(s => s.StudyId).ToList(), Owner, ct);
        }

        if (taken.Count == 0)
        {
            return new AssemblyPass(0, 0, full, [], [.. aside.Select(a => a.Id)]);
        }

        // Sent, then marked: a crash between the two sends the studies again later (the consumer is idempotent).
        await scoreQueue.SendAllAsync(taken, ct);
        await store.MarkStudiesQueuedAsync(taken, Owner, ct);
        var views = taken.Sum(s => s.Views.Count);
        MuraMetrics.ViewsQueued.Inc(views);
        foreach (var study in taken)
        {
            LogQueued(logger, study.StudyInstanceUid, study.Views.Count);
        }

        return new AssemblyPass(taken.Count, views, full, taken.Select(s => s.StudyId).ToList(), [.. aside.Select(a => a.Id)]);
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Information, Message = "Study {StudyInstanceUid} is quiet: queued {Views} views")]
    private static partial void LogQueued(ILogger logger, string studyInstanceUid, int views);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Information, Message = "Study {StudyInstanceUid} is out of scope, not screened: {Reason}")]
    private static partial void LogOutOfScope(ILogger logger, string studyInstanceUid, string reason);
}

/// <summary>What one assembly pass queued: studies and views (and which studies), whether it stopped for want of room, and the studies it set aside as out of scope.</summary>
public sealed record AssemblyPass(int Studies, int Views, bool Full, IReadOnlyList<Guid> QueuedStudies, IReadOnlyList<Guid> SetAside);

/// <summary>Runs <see cref="StudyAssembler"/> after the quiet period of <see cref="IngestOptions.QuietPeriodSeconds"/>.</summary>
public sealed class StudyAssemblerWorker(IServiceScopeFactory scopes, IOptions<IngestOptions> options, TimeProvider clock, ILogger<StudyAssemblerWorker> logger)
    : IngestLoop(scopes, clock, logger)
{
    private readonly IngestOptions _options = options.Value;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ScanIntervalMs);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = Scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<StudyAssembler>().AssembleAsync(Clock.GetUtcNow() - TimeSpan.FromSeconds(_options.QuietPeriodSeconds), 100, ct);
    }
}

/// <summary>
/// Re-sends views left Queued since a moment: a lost message costs time, never data. A view re-sent
/// <see cref="IngestOptions.MaxRequeues"/> times without a result fails with that reason. The ingest role runs it on a
/// timer for views older than <see cref="IngestOptions.ReconcileAfterSeconds"/>; `screen` runs it once at its start for
/// views an earlier run left on its in-memory bus.
/// </summary>
public sealed partial class Reconciler(StudyStore store, ScoreQueue scoreQueue, IPublishEndpoint publisher, IOptions<IngestOptions> options, ILogger<Reconciler> logger)
{
    /// <summary>Re-sends (or gives up on) up to <paramref name="max"/> views queued before <paramref name="queuedBefore"/>; returns how many it handled.</summary>
    public async Task<int> ReconcileAsync(DateTimeOffset queuedBefore, int max, CancellationToken ct)
    {
        var handled = 0;
        foreach (var (study, requeues) in await store.ClaimStaleQueuedViewsAsync(queuedBefore, max, ct))
        {
            handled++;
            var v = study.Views[0];
            if (requeues > options.Value.MaxRequeues)
            {
                LogGaveUp(logger, study.StudyInstanceUid, v.SopInstanceUid, requeues - 1);
                var tally = new OutcomeTally();
                var completed = await store.FailViewAsync(v.ViewId, $"no result after the view was sent {requeues - 1} times; see the inference workers' logs and the error queues", null, ct, tally);
                MuraMetrics.ViewsFailed.WithLabels("ingest").Inc(tally.Failed);
                if (completed is not null)
                {
                    await Publishing.StudyCompletedAsync(publisher, completed, ct);
                }

                continue;
            }

            LogRequeued(logger, study.StudyInstanceUid, v.SopInstanceUid, requeues);
            await scoreQueue.SendAsync(study, v, ct);
            MuraMetrics.ViewsQueued.Inc();
        }

        return handled;
    }

    [LoggerMessage(EventId = 2121, Level = LogLevel.Error, Message = "View {SopInstanceUid} of study {StudyInstanceUid} was sent {Times} times without a result; marked failed")]
    private static partial void LogGaveUp(ILogger logger, string studyInstanceUid, string sopInstanceUid, int times);

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning, Message = "View {SopInstanceUid} of study {StudyInstanceUid} stayed queued too long; sent again (time {Requeues})")]
    private static partial void LogRequeued(ILogger logger, string studyInstanceUid, string sopInstanceUid, int requeues);
}

/// <summary>Runs <see cref="Reconciler"/> every <see cref="IngestOptions.ReconcileIntervalMs"/>.</summary>
public sealed class ReconcilerWorker(IServiceScopeFactory scopes, IOptions<IngestOptions> options, TimeProvider clock, ILogger<ReconcilerWorker> logger)
    : IngestLoop(scopes, clock, logger)
{
    private readonly IngestOptions _options = options.Value;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ReconcileIntervalMs);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = Scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Reconciler>().ReconcileAsync(Clock.GetUtcNow() - TimeSpan.FromSeconds(_options.ReconcileAfterSeconds), 500, ct);
    }
}

/// <summary>
/// The inference queue (Messaging:ScoreQueue), to which ingest sends each view by address. Sending to a queue declares it
/// (durable, as the inference endpoint declares it), so a view sent before any inference worker has started waits there.
/// Views used to be published, and RabbitMQ drops a message that no queue is bound for yet: on a first deployment an
/// ingest that started before inference lost its first views until the reconciler re-sent them 10 minutes later.
/// </summary>
public sealed class ScoreQueue(ISendEndpointProvider endpoints, IOptions<MessagingOptions> messaging)
{
    /// <summary>Sends at most this many at once: a broker confirms each message, and waiting for one before sending the next held a pass to the round trip's pace.</summary>
    private const int InFlight = 32;

    private readonly Uri _address = new($"queue:{messaging.Value.ScoreQueue}");

    public async Task SendAsync(QueueableStudy study, QueueableView v, CancellationToken ct)
    {
        var endpoint = await endpoints.GetSendEndpoint(_address);
        await Publishing.Pipeline.ExecuteAsync(
            async token => await endpoint.Send(new ViewQueued(v.ViewId, study.StudyId, study.StudyInstanceUid, v.SopInstanceUid, study.BodyPart, v.DerivativePng), token),
            ct);
    }

    /// <summary>Sends every view of <paramref name="studies"/>, <see cref="InFlight"/> at a time.</summary>
    public Task SendAllAsync(IReadOnlyList<QueueableStudy> studies, CancellationToken ct) =>
        Parallel.ForEachAsync(
            studies.SelectMany(s => s.Views.Select(v => (Study: s, View: v))),
            new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = ct },
            async (x, token) => await SendAsync(x.Study, x.View, token));
}

/// <summary>Sending and publishing retry a broker hiccup (or a message left hanging for 20 s) a few times with backoff before the pass gives up (and the next pass tries again).</summary>
internal static class Publishing
{
    /// <summary>Tells every role that a study ingest completed (its last view could not be read) is done.</summary>
    public static ValueTask StudyCompletedAsync(IPublishEndpoint publisher, CompletedStudy study, CancellationToken ct) =>
        Pipeline.ExecuteAsync(async token => await publisher.Publish(study.ToMessage(), token), ct);

    public static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            UseJitter = true,
        })
        // Per attempt: a publish whose confirm never comes (the broker restarted under it) is cancelled and tried again,
        // rather than holding the ingest loop for good (seen once in DistributedTests' RabbitMQ restart).
        .AddTimeout(TimeSpan.FromSeconds(20))
        .Build();
}
