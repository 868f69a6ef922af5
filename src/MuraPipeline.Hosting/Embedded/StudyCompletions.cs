using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Contracts;
using MuraPipeline.Data;

namespace MuraPipeline.Hosting.Embedded;

/// <summary>The studies this process has heard completed (from <see cref="StudyScored"/>, or set aside as out of scope by its assembly), numbered in arrival order, and a signal on each.</summary>
public sealed class StudyCompletions
{
    private readonly ConcurrentDictionary<Guid, long> _done = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _room = new(0);
    private long _events;

    public void Completed(StudyScored study) => Ended(study.StudyId);

    /// <summary>A study reached an end state; the waiter confirms it against the database.</summary>
    public void Ended(Guid studyId)
    {
        _done[studyId] = Interlocked.Increment(ref _events);
        _signal.Release();
        _room.Release();
    }

    /// <summary>Returns when a study completes (or after <paramref name="timeout"/>): a wake-up for whoever waits for inference to make room.</summary>
    public Task WaitForAnyAsync(TimeSpan timeout, CancellationToken ct) => _room.WaitAsync(timeout, ct);

    /// <summary>
    /// Waits until every study in <paramref name="ids"/> is terminal: those already terminal in the database when the
    /// wait starts, the rest as their events arrive. An event is a wake-up, confirmed against the state (a study that
    /// ingest completed as failed and a good copy of its file re-opened is not done). Progress is reported as views
    /// done of views in the studies. With no completion for <paramref name="stallLimit"/> the state is read again (an
    /// event could have been missed) and, with still no progress, the run gives up.
    /// </summary>
    public async Task WaitAsync(IServiceScopeFactory scopes, IReadOnlyCollection<Guid> ids, Action<int, int>? progress, TimeSpan stallLimit, CancellationToken ct)
    {
        var (views, pending) = await OpenStudiesAsync(scopes, ids, ct);
        while (true)
        {
            var reported = pending.Select(id => _done.TryGetValue(id, out var seq) ? KeyValuePair.Create(id, seq) : default).Where(kv => kv.Key != Guid.Empty).ToList();
            if (reported.Count > 0)
            {
                var (_, stillOpen) = await OpenStudiesAsync(scopes, reported.Select(kv => kv.Key).ToList(), ct);
                foreach (var kv in reported)
                {
                    // Forget the event it was (a later one for the same study stays), and drop the study if it is done.
                    _done.TryRemove(kv);
                    if (!stillOpen.Contains(kv.Key))
                    {
                        pending.Remove(kv.Key);
                    }
                }
            }

            progress?.Invoke(Math.Max(0, views.Total - pending.Sum(id => views.ByStudy.GetValueOrDefault(id))), views.Total);
            if (pending.Count == 0)
            {
                return;
            }

            if (!await _signal.WaitAsync(stallLimit, ct))
            {
                var before = pending.Count;
                (_, pending) = await OpenStudiesAsync(scopes, pending, ct);
                if (pending.Count == before)
                {
                    throw new TimeoutException($"no study finished for {stallLimit.TotalMinutes:0} minutes; {pending.Count} studies are still open (see the log with --verbose)");
                }
            }
        }
    }

    private static async Task<((int Total, Dictionary<Guid, int> ByStudy) Views, HashSet<Guid> Open)> OpenStudiesAsync(IServiceScopeFactory scopes, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var rows = new List<(Guid Id, int Views, StudyState State)>();
        foreach (var chunk in ids.Chunk(500))
        {
            rows.AddRange((await db.Studies.AsNoTracking().Where(x => chunk.Contains(x.Id)).Select(x => new { x.Id, x.ViewCount, x.State }).ToListAsync(ct)).Select(x => (x.Id, x.ViewCount, x.State)));
        }

        var open = rows.Where(r => r.State is StudyState.Open or StudyState.Queued).Select(r => r.Id).ToHashSet();
        return ((rows.Sum(r => r.Views), rows.ToDictionary(r => r.Id, r => r.Views)), open);
    }
}
