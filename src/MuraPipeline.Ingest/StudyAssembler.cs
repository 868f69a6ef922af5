using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>
/// Study assembly: claims studies quiet since a moment with a lease (so of several ingest replicas one sends each),
/// sends a <see cref="ViewQueued"/> per view not yet sent to the score queue, then marks the studies Queued. The ingest
/// role runs it on a timer after the quiet period; `screen` runs it on each study whose files are all in.
/// </summary>
public sealed partial class StudyAssembler(StudyQueue queue, ScoreQueue scoreQueue, IOptions<IngestOptions> options, ILogger<StudyAssembler> logger)
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
        var room = limit - await queue.CountQueuedViewsAsync(limit, ct);
        if (room <= 0)
        {
            return new AssemblyPass(0, 0, true, [], []);
        }

        // A pass's worth claimed, read, sent and marked set-wise: a handful of statements per pass, not per study.
        var claimed = await queue.ClaimQuietStudiesAsync(Owner, quietSince, TimeSpan.FromSeconds(options.Value.LeaseSeconds), Math.Min(max, room), ct, among);

        // A study whose headers name a part outside the seven (or that is not radiography) is set aside, never scored.
        var aside = await queue.SetAsideOutOfScopeAsync(claimed, Owner, ct);
        foreach (var (_, uid, reason) in aside)
        {
            MuraMetrics.StudiesOutOfScope.Inc();
            LogOutOfScope(logger, uid, reason);
        }

        if (aside.Count > 0)
        {
            claimed = [.. claimed.Except(aside.Select(a => a.Id))];
        }

        var queueable = await queue.QueueableStudiesAsync(claimed, ct);

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
            await queue.ReleaseClaimsAsync(queueable.Skip(taken.Count).Select(s => s.StudyId).ToList(), Owner, ct);
        }

        if (taken.Count == 0)
        {
            return new AssemblyPass(0, 0, full, [], [.. aside.Select(a => a.Id)]);
        }

        // Sent, then marked: a crash between the two sends the studies again later (the consumer is idempotent).
        await scoreQueue.SendAllAsync(taken, ct);
        await queue.MarkStudiesQueuedAsync(taken, Owner, ct);
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
