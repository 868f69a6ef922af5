using Microsoft.EntityFrameworkCore;
using MuraPipeline.Contracts;

namespace MuraPipeline.Data;

/// <summary>One view's outcome from an inference batch.</summary>
public sealed record ViewOutcome(Guid ViewId, double? Probability, string? PredictedBodyPart, string? Error, Heatmap? Heatmap);

/// <summary>A view ready to be sent to inference, with its derivative.</summary>
/// <summary>A view's derivative as stored: the PNG, its size, and the size of the view's own pixel grid.</summary>
public sealed record Derivative(byte[] Png, int Width, int Height, int SourceWidth, int SourceHeight);

public sealed record QueueableView(Guid ViewId, string SopInstanceUid, byte[] DerivativePng);

/// <summary>A study's views that ingest is about to publish.</summary>
public sealed record QueueableStudy(Guid StudyId, string StudyInstanceUid, string? BodyPart, IReadOnlyList<QueueableView> Views);

/// <summary>A study whose last view just ended, as committed.</summary>
public sealed record CompletedStudy(Guid StudyId, string StudyInstanceUid, string? BodyPart, int ScoredViews, int FailedViews, double? Score, bool? Abnormal, string? ModelSha256)
{
    /// <summary>The event that tells every role the study is done.</summary>
    public StudyScored ToMessage() => new(StudyId, StudyInstanceUid, BodyPart, ScoredViews, FailedViews, Score, Abnormal, ModelSha256);
}

/// <summary>
/// The state transitions, each idempotent on the view's SOP Instance UID and atomic in the database,
/// so redelivered messages and concurrent replicas neither double-count a view nor miss a study's last one.
/// </summary>
public sealed class StudyStore(MuraDbContext db, TimeProvider clock, IThresholdPolicy thresholds)
{
    public MuraDbContext Db => db;

    /// <summary>Finds or creates the study row. Concurrent creators converge on one row through the unique index.</summary>
    public async Task<Study> GetOrCreateStudyAsync(string studyInstanceUid, string source, string? bodyPart, string? patientId, CancellationToken ct)
    {
        var existing = await db.Studies.SingleOrDefaultAsync(s => s.StudyInstanceUid == studyInstanceUid, ct);
        if (existing is not null)
        {
            if (existing.BodyPart is null && bodyPart is not null)
            {
                existing.BodyPart = bodyPart;
                await db.SaveChangesAsync(ct);
            }

            return existing;
        }

        var now = clock.GetUtcNow();
        var study = new Study
        {
            Id = Guid.NewGuid(),
            StudyInstanceUid = studyInstanceUid,
            Source = source,
            BodyPart = bodyPart,
            PatientId = patientId,
            State = StudyState.Open,
            CreatedAt = now,
            UpdatedAt = now,
            LastInstanceAt = now,
        };
        db.Studies.Add(study);
        try
        {
            await db.SaveChangesAsync(ct);
            return study;
        }
        catch (DbUpdateException)
        {
            db.Entry(study).State = EntityState.Detached;
            return await db.Studies.SingleAsync(s => s.StudyInstanceUid == studyInstanceUid, ct);
        }
    }

    /// <summary>
    /// Registers a view once. Returns the existing row when the SOP Instance UID is known (a resent instance),
    /// else the new row; a new view re-opens a study that had already been scored, so its score is recomputed,
    /// and restarts the study's quiet period.
    /// </summary>
    public async Task<(View View, bool Created)> AddViewAsync(Study study, string sopInstanceUid, string sourcePath, string? viewPosition, CancellationToken ct)
    {
        var existing = await db.Views.AsNoTracking().SingleOrDefaultAsync(v => v.SopInstanceUid == sopInstanceUid, ct);
        if (existing is not null)
        {
            return (existing, false);
        }

        var now = clock.GetUtcNow();
        var view = new View
        {
            Id = Guid.NewGuid(),
            StudyId = study.Id,
            SopInstanceUid = sopInstanceUid,
            SourcePath = sourcePath,
            ViewPosition = viewPosition,
            State = ViewState.Received,
            CreatedAt = now,
        };
        try
        {
            await InTransactionAsync(async token =>
            {
                db.Views.Add(view);
                await db.SaveChangesAsync(token);
                await db.Studies.Where(s => s.Id == study.Id).ExecuteUpdateAsync(
                    set => set
                        .SetProperty(s => s.ViewCount, s => s.ViewCount + 1)
                        .SetProperty(s => s.State, StudyState.Open)
                        .SetProperty(s => s.Score, (double?)null)
                        .SetProperty(s => s.Abnormal, (bool?)null)
                        .SetProperty(s => s.LastInstanceAt, now)
                        .SetProperty(s => s.LeaseOwner, (string?)null)
                        .SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null)
                        .SetProperty(s => s.UpdatedAt, now),
                    token);
                return true;
            }, ct);
        }
        catch (DbUpdateException)
        {
            // Another replica registered the same instance first: converge on its row.
            db.ChangeTracker.Clear();
            var winner = await db.Views.AsNoTracking().SingleOrDefaultAsync(v => v.SopInstanceUid == sopInstanceUid, ct);
            if (winner is null)
            {
                throw;
            }

            return (winner, false);
        }

        db.ChangeTracker.Clear();
        return (view, true);
    }

    /// <summary>
    /// Keeps a view's derivative (once); ingest stores it when it registers the file, before the file is archived.
    /// With <paramref name="sourcePath"/> the view names that file as its source (the copy whose pixels it has).
    /// </summary>
    public async Task StoreDerivativeAsync(Guid viewId, Derivative derivative, CancellationToken ct, string? sourcePath = null)
    {
        if (!await db.ViewImages.AnyAsync(i => i.ViewId == viewId, ct))
        {
            db.ViewImages.Add(new ViewImage { ViewId = viewId, Png = derivative.Png });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Stored concurrently by another replica (the same bytes); anything else is a real failure.
                db.ChangeTracker.Clear();
                if (!await db.ViewImages.AnyAsync(i => i.ViewId == viewId, ct))
                {
                    throw;
                }
            }

            db.ChangeTracker.Clear();
        }

        await db.Views.Where(v => v.Id == viewId).ExecuteUpdateAsync(set => set
            .SetProperty(v => v.Width, derivative.Width).SetProperty(v => v.Height, derivative.Height)
            .SetProperty(v => v.SourceWidth, derivative.SourceWidth).SetProperty(v => v.SourceHeight, derivative.SourceHeight)
            .SetProperty(v => v.SourcePath, v => sourcePath ?? v.SourcePath), ct);
    }

    /// <summary>Marks a view Queued (its message is about to be published); a view already scored or failed stays so.</summary>
    public Task<int> MarkViewQueuedAsync(Guid viewId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.Views.Where(v => v.Id == viewId && (v.State == ViewState.Received || v.State == ViewState.Queued))
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Queued).SetProperty(v => v.QueuedAt, now), ct);
    }

    /// <summary>
    /// Claims open studies that have been quiet since <paramref name="quietSince"/> for <paramref name="owner"/> until the
    /// lease runs out. A claim is one atomic update, so of several ingest replicas exactly one assembles a study; a claim
    /// left by a replica that died expires and is taken over, while a live replica's claim is never touched. A replica
    /// takes its own claims again at once (a pass that failed half-way is simply repeated).
    /// </summary>
    public async Task<IReadOnlyList<Guid>> ClaimQuietStudiesAsync(string owner, DateTimeOffset quietSince, TimeSpan lease, int max, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var until = now + lease;
        var candidates = await db.Studies.AsNoTracking()
            .Where(s => s.State == StudyState.Open && s.LastInstanceAt <= quietSince && (s.LeaseOwner == null || s.LeaseOwner == owner || s.LeaseUntil < now))
            .OrderBy(s => s.LastInstanceAt).Select(s => s.Id).Take(max).ToListAsync(ct);
        var claimed = new List<Guid>(candidates.Count);
        foreach (var id in candidates)
        {
            var changed = await db.Studies
                .Where(s => s.Id == id && s.State == StudyState.Open && s.LastInstanceAt <= quietSince && (s.LeaseOwner == null || s.LeaseOwner == owner || s.LeaseUntil < now))
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.LeaseOwner, owner).SetProperty(s => s.LeaseUntil, until), ct);
            if (changed == 1)
            {
                claimed.Add(id);
            }
        }

        return claimed;
    }

    /// <summary>A claimed study's views that still need a message, with their derivatives; null when one still lacks its derivative.</summary>
    public async Task<QueueableStudy?> QueueableViewsAsync(Guid studyId, CancellationToken ct)
    {
        var study = await db.Studies.AsNoTracking().Where(s => s.Id == studyId).Select(s => new { s.StudyInstanceUid, s.BodyPart }).SingleAsync(ct);
        var views = await db.Views.AsNoTracking()
            .Where(v => v.StudyId == studyId && v.State == ViewState.Received)
            .Select(v => new { v.Id, v.SopInstanceUid, Png = db.ViewImages.Where(i => i.ViewId == v.Id).Select(i => i.Png).FirstOrDefault() })
            .ToListAsync(ct);
        if (views.Any(v => v.Png is null))
        {
            return null;
        }

        return new QueueableStudy(studyId, study.StudyInstanceUid, study.BodyPart, views.Select(v => new QueueableView(v.Id, v.SopInstanceUid, v.Png!)).ToList());
    }

    /// <summary>Ends a claim: the study moves to Queued unless a new instance re-opened it meanwhile (then it stays Open for the next pass).</summary>
    public Task<int> ReleaseQueuedStudyAsync(Guid studyId, string owner, CancellationToken ct) =>
        db.Studies.Where(s => s.Id == studyId && s.State == StudyState.Open && s.LeaseOwner == owner)
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.State, StudyState.Queued)
                .SetProperty(s => s.LeaseOwner, (string?)null)
                .SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(s => s.UpdatedAt, clock.GetUtcNow()), ct);

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

    /// <summary>
    /// Records one batch's outcomes. Each view moves to Scored or Failed only from a non-terminal state
    /// (a redelivery changes nothing); the study counters move in the same transaction; the study whose
    /// counters reach its view count is completed by exactly one caller, with the mean computed in SQL.
    /// Studies are locked in id order, so two replicas' batches over the same studies cannot deadlock.
    /// </summary>
    public async Task<IReadOnlyList<CompletedStudy>> RecordOutcomesAsync(IReadOnlyList<ViewOutcome> outcomes, string modelSha256, Guid batchId, CancellationToken ct)
    {
        var viewIds = outcomes.Select(o => o.ViewId).Distinct().ToList();
        return await InTransactionAsync(async token =>
        {
            var completed = new List<CompletedStudy>();
            var now = clock.GetUtcNow();
            var rows = await db.Views.Where(v => viewIds.Contains(v.Id)).Select(v => new { v.Id, v.StudyId, v.Study!.BodyPart }).ToListAsync(token);
            var studyOf = rows.ToDictionary(r => r.Id, r => r.StudyId);
            var partOf = rows.DistinctBy(r => r.StudyId).ToDictionary(r => r.StudyId, r => r.BodyPart);
            var touched = new SortedSet<Guid>();
            foreach (var o in outcomes.Where(o => studyOf.ContainsKey(o.ViewId)).OrderBy(o => studyOf[o.ViewId]).ThenBy(o => o.ViewId))
            {
                var studyId = studyOf[o.ViewId];
                int changed;
                if (o.Probability is { } p)
                {
                    // The DICOM tags say one body part, the model sees another: flag the view for a human look.
                    bool? mismatch = o.PredictedBodyPart is { } predicted && partOf[studyId] is { } tagged ? !string.Equals(predicted, tagged, StringComparison.OrdinalIgnoreCase) : null;
                    changed = await db.Views.Where(v => v.Id == o.ViewId && v.State != ViewState.Scored && v.State != ViewState.Failed)
                        .ExecuteUpdateAsync(set => set
                            .SetProperty(v => v.State, ViewState.Scored)
                            .SetProperty(v => v.Probability, p)
                            .SetProperty(v => v.PredictedBodyPart, o.PredictedBodyPart)
                            .SetProperty(v => v.BodyPartMismatch, mismatch)
                            .SetProperty(v => v.ModelSha256, modelSha256)
                            .SetProperty(v => v.Error, (string?)null)
                            .SetProperty(v => v.Attempts, v => v.Attempts + 1)
                            .SetProperty(v => v.ScoredAt, now), token);
                    if (changed == 1)
                    {
                        await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(set => set.SetProperty(s => s.ScoredViews, s => s.ScoredViews + 1).SetProperty(s => s.UpdatedAt, now), token);
                        db.Scores.Add(new Score { Id = Guid.NewGuid(), ViewId = o.ViewId, ModelSha256 = modelSha256, Probability = p, PredictedBodyPart = o.PredictedBodyPart, BatchId = batchId, ScoredAt = now });
                        if (o.Heatmap is { } h)
                        {
                            db.Heatmaps.Add(h);
                        }
                    }
                }
                else
                {
                    changed = await FailViewCoreAsync(o.ViewId, studyId, o.Error ?? "inference failed", now, token);
                }

                if (changed == 1)
                {
                    touched.Add(studyId);
                }
            }

            await db.SaveChangesAsync(token);
            foreach (var studyId in touched)
            {
                if (await CompleteIfDoneAsync(studyId, modelSha256, now, token) is { } c)
                {
                    completed.Add(c);
                }
            }

            return completed;
        }, ct);
    }

    /// <summary>
    /// Fails one view with a reason an operator can read (an unreadable file, a message that kept failing). With
    /// <paramref name="unlessDerived"/> (a file that could not be read) a view that already has a derivative, from
    /// another copy of the same instance, is left alone.
    /// </summary>
    public Task<CompletedStudy?> FailViewAsync(Guid viewId, string reason, string? modelSha256, CancellationToken ct, bool unlessDerived = false) =>
        InTransactionAsync(async token =>
        {
            var studyId = await db.Views.Where(v => v.Id == viewId && (!unlessDerived || v.Width == 0)).Select(v => (Guid?)v.StudyId).SingleOrDefaultAsync(token);
            var now = clock.GetUtcNow();
            if (studyId is null || await FailViewCoreAsync(viewId, studyId.Value, reason, now, token, unlessDerived) != 1)
            {
                return null;
            }

            return await CompleteIfDoneAsync(studyId.Value, modelSha256, now, token);
        }, ct);

    /// <summary>Whether a view is Failed now (one indexed read, for the rare case ingest must overrule a bad copy).</summary>
    public Task<bool> IsFailedAsync(Guid viewId, CancellationToken ct) =>
        db.Views.AnyAsync(v => v.Id == viewId && v.State == ViewState.Failed, ct);

    /// <summary>Gives a failed view another chance (a re-run after the file was fixed); its study's failure count goes back.</summary>
    public Task<bool> RetryFailedViewAsync(Guid viewId, CancellationToken ct) =>
        InTransactionAsync(async token =>
        {
            var studyId = await db.Views.Where(v => v.Id == viewId).Select(v => v.StudyId).SingleAsync(token);
            var changed = await db.Views.Where(v => v.Id == viewId && v.State == ViewState.Failed)
                .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Received).SetProperty(v => v.Error, (string?)null), token);
            if (changed == 1)
            {
                await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(
                    set => set.SetProperty(s => s.FailedViews, s => s.FailedViews - 1).SetProperty(s => s.State, StudyState.Open).SetProperty(s => s.Score, (double?)null).SetProperty(s => s.Abnormal, (bool?)null), token);
            }

            return changed == 1;
        }, ct);

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction under the provider's execution strategy: on PostgreSQL a
    /// transient failure (a restart, a dropped connection, a deadlock) rolls back and repeats the whole unit.
    /// </summary>
    private Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(
            async token =>
            {
                db.ChangeTracker.Clear();
                await using var tx = await db.Database.BeginTransactionAsync(token);
                var result = await work(token);
                await tx.CommitAsync(token);
                return result;
            },
            ct);

    private async Task<int> FailViewCoreAsync(Guid viewId, Guid studyId, string reason, DateTimeOffset now, CancellationToken ct, bool unlessDerived = false)
    {
        var text = reason.Length > 2000 ? reason[..2000] : reason;
        var changed = await db.Views.Where(v => v.Id == viewId && v.State != ViewState.Scored && v.State != ViewState.Failed && (!unlessDerived || v.Width == 0))
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Failed).SetProperty(v => v.Error, text).SetProperty(v => v.Attempts, v => v.Attempts + 1).SetProperty(v => v.ScoredAt, now), ct);
        if (changed == 1)
        {
            await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(set => set.SetProperty(s => s.FailedViews, s => s.FailedViews + 1).SetProperty(s => s.UpdatedAt, now), ct);
        }

        return changed;
    }

    private async Task<CompletedStudy?> CompleteIfDoneAsync(Guid studyId, string? modelSha256, DateTimeOffset now, CancellationToken ct)
    {
        // Only the transaction that moves the study out of Open/Queued completes it.
        var changed = await db.Studies
            .Where(s => s.Id == studyId && (s.State == StudyState.Open || s.State == StudyState.Queued) && s.ScoredViews + s.FailedViews >= s.ViewCount && s.ViewCount > 0)
            .ExecuteUpdateAsync(set => set
                .SetProperty(s => s.Score, s => db.Views.Where(v => v.StudyId == s.Id && v.State == ViewState.Scored).Average(v => v.Probability))
                .SetProperty(s => s.State, s => s.ScoredViews > 0 ? StudyState.Scored : StudyState.Failed)
                .SetProperty(s => s.ModelSha256, modelSha256)
                .SetProperty(s => s.ScoredAt, now)
                .SetProperty(s => s.UpdatedAt, now), ct);
        if (changed == 0)
        {
            return null;
        }

        var s = await db.Studies.AsNoTracking().Where(x => x.Id == studyId)
            .Select(x => new { x.StudyInstanceUid, x.BodyPart, x.ScoredViews, x.FailedViews, x.Score }).SingleAsync(ct);
        bool? abnormal = null;
        if (s.Score is { } score)
        {
            // The operating point comes from the one threshold policy (calibrated for the scoring model, configured, 0.5).
            var sha = modelSha256 ?? await db.Views.Where(v => v.StudyId == studyId && v.State == ViewState.Scored).OrderByDescending(v => v.ScoredAt).Select(v => v.ModelSha256).FirstOrDefaultAsync(ct);
            abnormal = StudyAggregate.IsAbnormal(score, await thresholds.ThresholdAsync(sha, s.BodyPart, ct));
            modelSha256 = sha;
        }

        await db.Studies.Where(x => x.Id == studyId).ExecuteUpdateAsync(set => set.SetProperty(x => x.Abnormal, abnormal).SetProperty(x => x.ModelSha256, modelSha256), ct);
        return new CompletedStudy(studyId, s.StudyInstanceUid, s.BodyPart, s.ScoredViews, s.FailedViews, s.Score, abnormal, modelSha256);
    }
}
