using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>
/// Study assembly's and the reconciler's transitions: claiming quiet studies (one replica each, under a lease),
/// setting aside those outside the study types, reading what to queue and marking it queued, and re-claiming views left
/// queued too long. Each transition is one atomic statement or transaction, idempotent under replicas.
/// </summary>
public sealed class StudyQueue(MuraDbContext db, TimeProvider clock)
{
    /// <summary>Marks views Queued, in one statement (their messages are published); a view already scored or failed stays so.</summary>
    public Task<int> MarkViewsQueuedAsync(IReadOnlyCollection<Guid> viewIds, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.Views.Where(v => viewIds.Contains(v.Id) && (v.State == ViewState.Received || v.State == ViewState.Queued))
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Queued).SetProperty(v => v.QueuedAt, now), ct);
    }

    /// <summary>
    /// Claims open studies that have been quiet since <paramref name="quietSince"/> for <paramref name="owner"/> until the
    /// lease runs out. A claim is one atomic update, so of several ingest replicas exactly one assembles a study; a claim
    /// left by a replica that died expires and is taken over, while a live replica's claim is never touched. A replica
    /// takes its own claims again at once (a pass that failed half-way is simply repeated). With <paramref name="among"/>,
    /// only those studies are candidates (`screen`, which knows when each study's files are all in).
    /// </summary>
    public async Task<IReadOnlyList<Guid>> ClaimQuietStudiesAsync(string owner, DateTimeOffset quietSince, TimeSpan lease, int max, CancellationToken ct, IReadOnlyCollection<Guid>? among = null)
    {
        var now = clock.GetUtcNow();
        // Whole milliseconds, so the value read back below is the value written, on either database.
        var until = new DateTimeOffset((now + lease).UtcTicks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        var claimable = db.Studies
            .Where(s => s.State == StudyState.Open && s.LastInstanceAt <= quietSince && (s.LeaseOwner == null || s.LeaseOwner == owner || s.LeaseUntil < now));
        if (among is not null)
        {
            claimable = claimable.Where(s => among.Contains(s.Id));
        }

        var candidates = await claimable.AsNoTracking().OrderBy(s => s.LastInstanceAt).Select(s => s.Id).Take(max).ToListAsync(ct);
        if (candidates.Count == 0)
        {
            return [];
        }

        // One statement claims them all (each row's condition holds as that row is updated, so of two replicas one wins
        // each study); the studies that now carry this owner and this lease end are this pass's, in quiet order.
        await claimable.Where(s => candidates.Contains(s.Id))
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeaseOwner, owner).SetProperty(s => s.LeaseUntil, until), ct);
        var mine = (await db.Studies.AsNoTracking()
            .Where(s => candidates.Contains(s.Id) && s.State == StudyState.Open && s.LeaseOwner == owner && s.LeaseUntil == until)
            .Select(s => s.Id).ToListAsync(ct)).ToHashSet();
        return candidates.Where(mine.Contains).ToList();
    }

    /// <summary>
    /// Of this owner's claimed studies, those whose headers put them out of scope end OutOfScope now, with their views
    /// that were waiting to be sent (a view that failed at ingest keeps its own failure): never scored, never sent as
    /// results, never a failure. Their UIDs and reasons, for the log.
    /// </summary>
    public async Task<IReadOnlyList<(Guid Id, string StudyInstanceUid, string Reason)>> SetAsideOutOfScopeAsync(IReadOnlyList<Guid> studyIds, string owner, CancellationToken ct)
    {
        if (studyIds.Count == 0)
        {
            return [];
        }

        var aside = await db.Studies.AsNoTracking().Where(s => studyIds.Contains(s.Id) && s.OutOfScopeReason != null && s.LeaseOwner == owner)
            .Select(s => new { s.Id, s.StudyInstanceUid, s.OutOfScopeReason }).ToListAsync(ct);
        if (aside.Count == 0)
        {
            return [];
        }

        var ids = aside.Select(s => s.Id).ToList();
        var now = clock.GetUtcNow();
        await StoreTransaction.RunAsync(db, async token =>
        {
            await db.Views.Where(v => ids.Contains(v.StudyId) && v.State == ViewState.Received).ExecuteUpdateAsync(u => u.SetProperty(v => v.State, ViewState.OutOfScope), token);
            return await db.Studies.Where(s => ids.Contains(s.Id) && s.LeaseOwner == owner).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.State, StudyState.OutOfScope).SetProperty(s => s.ScoredAt, now).SetProperty(s => s.UpdatedAt, now)
                .SetProperty(s => s.LeaseOwner, (string?)null).SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null), token);
        }, ct);
        return [.. aside.Select(s => (s.Id, s.StudyInstanceUid, s.OutOfScopeReason!))];
    }

    /// <summary>Hands claims back unused (the studies stay Open, free for any replica's next pass).</summary>
    public Task<int> ReleaseClaimsAsync(IReadOnlyCollection<Guid> studyIds, string owner, CancellationToken ct) =>
        db.Studies.Where(s => studyIds.Contains(s.Id) && s.LeaseOwner == owner)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeaseOwner, (string?)null).SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null), ct);

    /// <summary>
    /// Views sent to inference and not yet back, counted up to <paramref name="cap"/> (an index range scan at most that
    /// long). Ordered as the (State, QueuedAt) index is, which costs nothing and tells EF Core the limit is meant (it
    /// warned otherwise, in every `screen --verbose`).
    /// </summary>
    public Task<int> CountQueuedViewsAsync(int cap, CancellationToken ct) =>
        db.Views.Where(v => v.State == ViewState.Queued).OrderBy(v => v.QueuedAt).Take(cap).CountAsync(ct);

    /// <summary>
    /// Claimed studies' views that still need a message, with their derivatives, in the order of <paramref name="studyIds"/>;
    /// a study one of whose views still lacks its derivative is left out (its claim lapses and a later pass takes it).
    /// Two queries, whatever the number of studies.
    /// </summary>
    public async Task<IReadOnlyList<QueueableStudy>> QueueableStudiesAsync(IReadOnlyList<Guid> studyIds, CancellationToken ct)
    {
        if (studyIds.Count == 0)
        {
            return [];
        }

        var studies = await db.Studies.AsNoTracking().Where(s => studyIds.Contains(s.Id))
            .Select(s => new { s.Id, s.StudyInstanceUid, s.BodyPart }).ToDictionaryAsync(s => s.Id, ct);
        var views = (await db.Views.AsNoTracking()
            .Where(v => studyIds.Contains(v.StudyId) && v.State == ViewState.Received)
            .Select(v => new { v.Id, v.StudyId, v.SopInstanceUid, Png = db.ViewImages.Where(i => i.ViewId == v.Id).Select(i => i.Png).FirstOrDefault() })
            .ToListAsync(ct)).ToLookup(v => v.StudyId);
        var result = new List<QueueableStudy>(studyIds.Count);
        foreach (var id in studyIds)
        {
            if (!studies.TryGetValue(id, out var study) || views[id].Any(v => v.Png is null))
            {
                continue;
            }

            result.Add(new QueueableStudy(id, study.StudyInstanceUid, study.BodyPart, views[id].Select(v => new QueueableView(v.Id, v.SopInstanceUid, v.Png!)).ToList()));
        }

        return result;
    }

    /// <summary>
    /// Ends claims whose messages are sent, in one transaction: the views move to Queued, and each study to Queued
    /// unless a new instance re-opened it meanwhile (then it stays Open for the next pass). Returns the studies moved.
    /// </summary>
    public Task<int> MarkStudiesQueuedAsync(IReadOnlyCollection<QueueableStudy> studies, string owner, CancellationToken ct)
    {
        var viewIds = studies.SelectMany(s => s.Views).Select(v => v.ViewId).ToList();
        var studyIds = studies.Select(s => s.StudyId).ToList();
        return StoreTransaction.RunAsync(db, async token =>
        {
            await MarkViewsQueuedAsync(viewIds, token);
            return await db.Studies.Where(s => studyIds.Contains(s.Id) && s.State == StudyState.Open && s.LeaseOwner == owner)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(s => s.State, StudyState.Queued)
                    .SetProperty(s => s.LeaseOwner, (string?)null)
                    .SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(s => s.UpdatedAt, clock.GetUtcNow()), token);
        }, ct);
    }

    /// <summary>
    /// Views left Queued since before <paramref name="queuedBefore"/>: each is claimed with one atomic update (so one
    /// reconciler replica re-sends it) and returned with its derivative (always stored before a view is marked Queued)
    /// for publishing again. Scoring is idempotent, so a view whose
    /// message was only slow costs a second look, never a second count.
    /// </summary>
    public async Task<IReadOnlyList<(QueueableStudy Study, int Requeues)>> ClaimStaleQueuedViewsAsync(DateTimeOffset queuedBefore, int max, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var stale = await db.Views.AsNoTracking()
            .Where(v => v.State == ViewState.Queued && v.QueuedAt < queuedBefore)
            .OrderBy(v => v.QueuedAt).Take(max)
            .Join(db.ViewImages, v => v.Id, i => i.ViewId, (v, i) => new { v.Id, v.StudyId, v.SopInstanceUid, v.Study!.StudyInstanceUid, v.Study.BodyPart, v.Requeues, i.Png })
            .ToListAsync(ct);
        var claimed = new List<(QueueableStudy, int)>();
        foreach (var v in stale)
        {
            var changed = await db.Views.Where(x => x.Id == v.Id && x.State == ViewState.Queued && x.QueuedAt < queuedBefore)
                .ExecuteUpdateAsync(set => set.SetProperty(x => x.QueuedAt, now).SetProperty(x => x.Requeues, x => x.Requeues + 1), ct);
            if (changed == 1)
            {
                claimed.Add((new QueueableStudy(v.StudyId, v.StudyInstanceUid, v.BodyPart, [new QueueableView(v.Id, v.SopInstanceUid, v.Png)]), v.Requeues + 1));
            }
        }

        return claimed;
    }
}
