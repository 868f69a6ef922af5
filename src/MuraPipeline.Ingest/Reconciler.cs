using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>
/// Re-sends views left Queued since a moment: a lost message costs time, never data. A view re-sent
/// <see cref="IngestOptions.MaxRequeues"/> times without a result fails with that reason. The ingest role runs it on a
/// timer for views older than <see cref="IngestOptions.ReconcileAfterSeconds"/>; `screen` runs it once at its start for
/// views an earlier run left on its in-memory bus.
/// </summary>
public sealed partial class Reconciler(StudyStore store, StudyQueue queue, ScoreQueue scoreQueue, IPublishEndpoint publisher, IOptions<IngestOptions> options, ILogger<Reconciler> logger)
{
    /// <summary>Re-sends (or gives up on) up to <paramref name="max"/> views queued before <paramref name="queuedBefore"/>; returns how many it handled.</summary>
    public async Task<int> ReconcileAsync(DateTimeOffset queuedBefore, int max, CancellationToken ct)
    {
        var handled = 0;
        foreach (var (study, requeues) in await queue.ClaimStaleQueuedViewsAsync(queuedBefore, max, ct))
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
