using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>One view's outcome from an inference batch.</summary>
public sealed record ViewOutcome(Guid ViewId, double? Probability, string? PredictedBodyPart, string? Error, Heatmap? Heatmap);

/// <summary>A study whose last view just ended, as committed.</summary>
public sealed record CompletedStudy(Guid StudyId, string StudyInstanceUid, string? BodyPart, int ScoredViews, int FailedViews, double? Score, bool? Abnormal);

/// <summary>
/// The state transitions, each idempotent on the view's SOP Instance UID and atomic in the database,
/// so redelivered messages and concurrent replicas neither double-count a view nor miss a study's last one.
/// </summary>
public sealed class StudyStore(MuraDbContext db, TimeProvider clock)
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
    /// else the new row; a new view re-opens a study that had already been scored, so its score is recomputed.
    /// </summary>
    public async Task<(View View, bool Created)> AddViewAsync(Study study, string sopInstanceUid, string sourcePath, string? viewPosition, CancellationToken ct)
    {
        var existing = await db.Views.SingleOrDefaultAsync(v => v.SopInstanceUid == sopInstanceUid, ct);
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
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Views.Add(view);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            await tx.RollbackAsync(ct);
            db.Entry(view).State = EntityState.Detached;
            return (await db.Views.SingleAsync(v => v.SopInstanceUid == sopInstanceUid, ct), false);
        }

        await db.Studies.Where(s => s.Id == study.Id).ExecuteUpdateAsync(
            set => set
                .SetProperty(s => s.ViewCount, s => s.ViewCount + 1)
                .SetProperty(s => s.State, StudyState.Open)
                .SetProperty(s => s.Score, (double?)null)
                .SetProperty(s => s.Abnormal, (bool?)null)
                .SetProperty(s => s.UpdatedAt, now),
            ct);
        await tx.CommitAsync(ct);
        return (view, true);
    }

    /// <summary>Stores a view's derivative (once) and marks it Queued; a view already scored stays scored.</summary>
    public async Task MarkQueuedAsync(Guid viewId, byte[] derivativePng, int width, int height, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!await db.ViewImages.AnyAsync(i => i.ViewId == viewId, ct))
        {
            db.ViewImages.Add(new ViewImage { ViewId = viewId, Png = derivativePng });
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }

        await db.Views.Where(v => v.Id == viewId && (v.State == ViewState.Received || v.State == ViewState.Queued))
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Queued).SetProperty(v => v.QueuedAt, now).SetProperty(v => v.Width, width).SetProperty(v => v.Height, height), ct);
    }

    /// <summary>Marks the study's views as sent; called once a study is stable (all its views are known).</summary>
    public Task MarkStudyQueuedAsync(Guid studyId, CancellationToken ct) =>
        db.Studies.Where(s => s.Id == studyId && s.State == StudyState.Open)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.State, StudyState.Queued).SetProperty(s => s.UpdatedAt, clock.GetUtcNow()), ct);

    /// <summary>
    /// Records one batch's outcomes. Each view moves to Scored or Failed only from a non-terminal state
    /// (a redelivery changes nothing); the study counters move in the same transaction; the study whose
    /// counters reach its view count is completed by exactly one caller, with the mean computed in SQL.
    /// </summary>
    public async Task<IReadOnlyList<CompletedStudy>> RecordOutcomesAsync(IReadOnlyList<ViewOutcome> outcomes, string modelSha256, IReadOnlyDictionary<string, double>? thresholds, CancellationToken ct)
    {
        var completed = new List<CompletedStudy>();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            completed.Clear();
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow();
            var touched = new HashSet<Guid>();
            foreach (var o in outcomes)
            {
                var studyId = await db.Views.Where(v => v.Id == o.ViewId).Select(v => (Guid?)v.StudyId).SingleOrDefaultAsync(ct);
                if (studyId is null)
                {
                    continue;
                }

                int changed;
                if (o.Probability is { } p)
                {
                    changed = await db.Views.Where(v => v.Id == o.ViewId && v.State != ViewState.Scored && v.State != ViewState.Failed)
                        .ExecuteUpdateAsync(set => set
                            .SetProperty(v => v.State, ViewState.Scored)
                            .SetProperty(v => v.Probability, p)
                            .SetProperty(v => v.PredictedBodyPart, o.PredictedBodyPart)
                            .SetProperty(v => v.ModelSha256, modelSha256)
                            .SetProperty(v => v.Error, (string?)null)
                            .SetProperty(v => v.Attempts, v => v.Attempts + 1)
                            .SetProperty(v => v.ScoredAt, now), ct);
                    if (changed == 1)
                    {
                        await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(set => set.SetProperty(s => s.ScoredViews, s => s.ScoredViews + 1).SetProperty(s => s.UpdatedAt, now), ct);
                        if (o.Heatmap is { } h)
                        {
                            await db.Heatmaps.Where(x => x.ViewId == o.ViewId).ExecuteDeleteAsync(ct);
                            db.Heatmaps.Add(h);
                            await db.SaveChangesAsync(ct);
                            db.ChangeTracker.Clear();
                        }
                    }
                }
                else
                {
                    changed = await FailViewCoreAsync(o.ViewId, studyId.Value, o.Error ?? "inference failed", now, ct);
                }

                if (changed == 1)
                {
                    touched.Add(studyId.Value);
                }
            }

            foreach (var studyId in touched)
            {
                if (await CompleteIfDoneAsync(studyId, modelSha256, thresholds, now, ct) is { } c)
                {
                    completed.Add(c);
                }
            }

            await tx.CommitAsync(ct);
        });
        return completed;
    }

    /// <summary>Fails one view with a reason an operator can read (ingest-side failures: unreadable file, not an image).</summary>
    public async Task<CompletedStudy?> FailViewAsync(Guid viewId, string reason, string? modelSha256, IReadOnlyDictionary<string, double>? thresholds, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var studyId = await db.Views.Where(v => v.Id == viewId).Select(v => v.StudyId).SingleAsync(ct);
        var now = clock.GetUtcNow();
        CompletedStudy? done = null;
        if (await FailViewCoreAsync(viewId, studyId, reason, now, ct) == 1)
        {
            done = await CompleteIfDoneAsync(studyId, modelSha256, thresholds, now, ct);
        }

        await tx.CommitAsync(ct);
        return done;
    }

    /// <summary>Gives a failed view another chance (a re-run after the file was fixed); its study's failure count goes back.</summary>
    public async Task<bool> RetryFailedViewAsync(Guid viewId, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var studyId = await db.Views.Where(v => v.Id == viewId).Select(v => v.StudyId).SingleAsync(ct);
        var changed = await db.Views.Where(v => v.Id == viewId && v.State == ViewState.Failed)
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Received).SetProperty(v => v.Error, (string?)null), ct);
        if (changed == 1)
        {
            await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(
                set => set.SetProperty(s => s.FailedViews, s => s.FailedViews - 1).SetProperty(s => s.State, StudyState.Open).SetProperty(s => s.Score, (double?)null).SetProperty(s => s.Abnormal, (bool?)null), ct);
        }

        await tx.CommitAsync(ct);
        return changed == 1;
    }

    private async Task<int> FailViewCoreAsync(Guid viewId, Guid studyId, string reason, DateTimeOffset now, CancellationToken ct)
    {
        var text = reason.Length > 2000 ? reason[..2000] : reason;
        var changed = await db.Views.Where(v => v.Id == viewId && v.State != ViewState.Scored && v.State != ViewState.Failed)
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Failed).SetProperty(v => v.Error, text).SetProperty(v => v.Attempts, v => v.Attempts + 1).SetProperty(v => v.ScoredAt, now), ct);
        if (changed == 1)
        {
            await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(set => set.SetProperty(s => s.FailedViews, s => s.FailedViews + 1).SetProperty(s => s.UpdatedAt, now), ct);
        }

        return changed;
    }

    private async Task<CompletedStudy?> CompleteIfDoneAsync(Guid studyId, string? modelSha256, IReadOnlyDictionary<string, double>? thresholds, DateTimeOffset now, CancellationToken ct)
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
        bool? abnormal = s.Score is { } score ? StudyAggregate.IsAbnormal(score, s.BodyPart, thresholds) : null;
        await db.Studies.Where(x => x.Id == studyId).ExecuteUpdateAsync(set => set.SetProperty(x => x.Abnormal, abnormal), ct);
        return new CompletedStudy(studyId, s.StudyInstanceUid, s.BodyPart, s.ScoredViews, s.FailedViews, s.Score, abnormal);
    }
}
