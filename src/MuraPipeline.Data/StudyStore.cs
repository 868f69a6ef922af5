using Microsoft.EntityFrameworkCore;
using MuraPipeline.Contracts;

namespace MuraPipeline.Data;

/// <summary>
/// A view's transitions at registration, scoring and failure, and an operator's retry: each idempotent on the view's
/// SOP Instance UID and atomic in the database, so redelivered messages and concurrent replicas neither double-count a
/// view nor miss a study's last one. Study assembly's and the reconciler's claims are <see cref="StudyQueue"/>'s.
/// </summary>
public sealed class StudyStore(MuraDbContext db, TimeProvider clock, IThresholdPolicy thresholds)
{
    public MuraDbContext Db => db;

    /// <summary>How long this store's transactions have held the database (from BEGIN to COMMIT or ROLLBACK, a wait for another process's lock included).</summary>
    public TimeSpan Held { get; private set; }

    /// <summary>
    /// Whether ingest can leave a file alone without reading its pixels: its instance is known and already has its
    /// derivative (or is past that); the study it is filed under, or null. One indexed read, so a re-run or a resend
    /// does not decode what it has.
    /// </summary>
    public Task<Guid?> DerivedInstanceStudyAsync(string sopInstanceUid, CancellationToken ct) =>
        db.Views.Where(v => v.SopInstanceUid == sopInstanceUid && v.State != ViewState.Failed && (v.State != ViewState.Received || v.Width > 0))
            .Select(v => (Guid?)v.StudyId).SingleOrDefaultAsync(ct);

    /// <summary>
    /// One file's whole registration in one transaction: its study (found or created), its view (found or created,
    /// which re-opens the study), then either the derivative (stored once; a failed view is revived, and the file
    /// becomes the view's source) or the reason the file failed (a view another copy already derived is left alone: a
    /// bad copy never undoes a good one), completing the study when that was its last view. Replicas that race on
    /// one study or instance converge: the loser of a unique index repeats the unit and finds the winner's rows.
    /// </summary>
    public async Task<Registration> RegisterAsync(InstanceFile file, Derivative? derivative, string? error, CancellationToken ct)
    {
        if ((derivative is null) == (error is null))
        {
            throw new ArgumentException("a file registers with either a derivative or the reason it has none");
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await InTransactionAsync(token => RegisterCoreAsync(file, derivative, error, token), ct);
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another replica created the study, the view or the image first: the next attempt finds its rows.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// Many files' registrations in one transaction (ingest's group commit), each with the outcome
    /// <see cref="RegisterAsync"/> would give it. The common case, a new instance with its derivative, goes set-wise: one
    /// read of the known instances and studies, one batch of inserts, one re-open per known study. Anything else (a
    /// known instance, a copy repeated within the batch, a file that failed) goes through the one-file path after it,
    /// in the same transaction. A race lost to another replica throws, and the caller registers the files one by one.
    /// </summary>
    public Task<IReadOnlyList<Registration>> RegisterManyAsync(IReadOnlyList<(InstanceFile File, Derivative? Derivative, string? Error)> items, CancellationToken ct)
    {
        if (items.Any(i => (i.Derivative is null) == (i.Error is null)))
        {
            throw new ArgumentException("a file registers with either a derivative or the reason it has none");
        }

        return InTransactionAsync<IReadOnlyList<Registration>>(async token =>
        {
            var now = clock.GetUtcNow();
            var results = new Registration[items.Count];
            var known = new HashSet<string>(StringComparer.Ordinal);
            foreach (var chunk in items.Select(i => i.File.SopInstanceUid).Distinct(StringComparer.Ordinal).Chunk(500))
            {
                known.UnionWith(await db.Views.AsNoTracking().Where(v => chunk.Contains(v.SopInstanceUid)).Select(v => v.SopInstanceUid).ToListAsync(token));
            }

            var fast = new List<int>();
            var slow = new List<int>();
            for (var i = 0; i < items.Count; i++)
            {
                (items[i].Derivative is not null && known.Add(items[i].File.SopInstanceUid) ? fast : slow).Add(i);
            }

            if (fast.Count > 0)
            {
                var studyIds = new Dictionary<string, Guid>(StringComparer.Ordinal);
                foreach (var chunk in fast.Select(i => items[i].File.StudyInstanceUid).Distinct(StringComparer.Ordinal).Chunk(500))
                {
                    foreach (var s in await db.Studies.AsNoTracking().Where(s => chunk.Contains(s.StudyInstanceUid)).Select(s => new { s.Id, s.StudyInstanceUid }).ToListAsync(token))
                    {
                        studyIds[s.StudyInstanceUid] = s.Id;
                    }
                }

                var existing = studyIds.Values.ToHashSet();
                var added = new Dictionary<Guid, (InstanceFile Merged, int Views)>();
                foreach (var i in fast)
                {
                    var (file, derivative, _) = items[i];
                    if (!studyIds.TryGetValue(file.StudyInstanceUid, out var studyId))
                    {
                        studyId = studyIds[file.StudyInstanceUid] = Guid.NewGuid();
                    }

                    // The study takes its type and any reason to set it aside from the first of its files that has one.
                    added[studyId] = added.TryGetValue(studyId, out var a)
                        ? (a.Merged with
                        {
                            BodyPart = a.Merged.BodyPart ?? file.BodyPart,
                            BodyPartSource = a.Merged.BodyPart is null ? file.BodyPartSource : a.Merged.BodyPartSource,
                            OutOfScope = a.Merged.OutOfScope ?? file.OutOfScope,
                        }, a.Views + 1)
                        : (file, 1);
                    var view = NewView(file, derivative, studyId, now);
                    db.Views.Add(view);
                    db.ViewImages.Add(new ViewImage { ViewId = view.Id, Png = derivative!.Png });
                    results[i] = new Registration(RegistrationOutcome.Registered, studyId, view.Id, null);
                }

                foreach (var (studyId, (merged, views)) in added.Where(a => !existing.Contains(a.Key)))
                {
                    db.Studies.Add(NewStudy(merged, studyId, views, now));
                }

                await db.SaveChangesAsync(token);
                db.ChangeTracker.Clear();
                foreach (var (studyId, (merged, views)) in added.Where(a => existing.Contains(a.Key)))
                {
                    await ReopenForNewViewAsync(studyId, merged, now, token, views);
                }
            }

            foreach (var i in slow)
            {
                results[i] = await RegisterCoreAsync(items[i].File, items[i].Derivative, items[i].Error, token);
            }

            return results;
        }, ct);
    }

    private static View NewView(InstanceFile file, Derivative? derivative, Guid studyId, DateTimeOffset now) => new()
    {
        Id = Guid.NewGuid(),
        StudyId = studyId,
        SopInstanceUid = file.SopInstanceUid,
        SourcePath = derivative is null ? file.FailedAt : file.KeptAt,
        ViewPosition = file.ViewPosition,
        State = ViewState.Received,
        CreatedAt = now,
        Width = derivative?.Width ?? 0,
        Height = derivative?.Height ?? 0,
        SourceWidth = derivative?.SourceWidth ?? 0,
        SourceHeight = derivative?.SourceHeight ?? 0,
    };

    private static Study NewStudy(InstanceFile file, Guid studyId, int views, DateTimeOffset now) => new()
    {
        Id = studyId,
        StudyInstanceUid = file.StudyInstanceUid,
        Source = file.Source,
        BodyPart = file.BodyPart,
        BodyPartSource = file.ResolvedBodyPartSource,
        OutOfScopeReason = file.OutOfScope,
        PatientId = file.PatientId,
        State = StudyState.Open,
        ViewCount = views,
        CreatedAt = now,
        UpdatedAt = now,
        LastInstanceAt = now,
    };

    private async Task<Registration> RegisterCoreAsync(InstanceFile file, Derivative? derivative, string? error, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var view = await db.Views.AsNoTracking().Where(v => v.SopInstanceUid == file.SopInstanceUid)
            .Select(v => new { v.Id, v.StudyId, v.State, v.Width }).SingleOrDefaultAsync(ct);
        if (view is null)
        {
            var study = await db.Studies.AsNoTracking().Where(s => s.StudyInstanceUid == file.StudyInstanceUid)
                .Select(s => (Guid?)s.Id).SingleOrDefaultAsync(ct);
            // A new instance: its view (with the derivative when there is one) in one batch of inserts.
            var studyId = study ?? Guid.NewGuid();
            var newView = NewView(file, derivative, studyId, now);
            if (study is null)
            {
                db.Studies.Add(NewStudy(file, studyId, 1, now));
            }

            db.Views.Add(newView);
            if (derivative is not null)
            {
                db.ViewImages.Add(new ViewImage { ViewId = newView.Id, Png = derivative.Png });
            }

            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            if (study is not null)
            {
                await ReopenForNewViewAsync(studyId, file, now, ct);
            }

            if (error is not null)
            {
                return new Registration(RegistrationOutcome.Failed, studyId, newView.Id, (await FailViewCoreAsync(newView.Id, error, null, now, ct)).Completed);
            }

            return new Registration(RegistrationOutcome.Registered, studyId, newView.Id, null);
        }

        // A known instance is its own study's, whatever this copy says.
        if (file.BodyPart is not null)
        {
            await db.Studies.Where(s => s.Id == view.StudyId && s.BodyPart == null).ExecuteUpdateAsync(set => set.SetProperty(s => s.BodyPart, file.BodyPart), ct);
        }

        if (error is not null)
        {
            return new Registration(RegistrationOutcome.Failed, view.StudyId, view.Id, (await FailViewCoreAsync(view.Id, error, null, now, ct, unlessDerived: true)).Completed);
        }

        if (view.State == ViewState.Failed)
        {
            // A good copy of an instance that failed (a re-run after a fix, or a bad copy that lost the race): revived.
            await ReviveAsync(view.Id, view.StudyId, ct);
        }
        else if (view.State != ViewState.Received || view.Width > 0)
        {
            return new Registration(RegistrationOutcome.Duplicate, view.StudyId, view.Id, null);
        }

        if (!await db.ViewImages.AnyAsync(i => i.ViewId == view.Id, ct))
        {
            db.ViewImages.Add(new ViewImage { ViewId = view.Id, Png = derivative!.Png });
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }

        await SetDerivedAsync(view.Id, derivative!, file.KeptAt, ct);
        return new Registration(RegistrationOutcome.Registered, view.StudyId, view.Id, null);
    }

    /// <summary>
    /// New views re-open their study: the score is recomputed and the quiet period starts again; a type the study lacks
    /// comes from this file, and so does a reason to set it aside (one out-of-scope instance is enough).
    /// </summary>
    private Task<int> ReopenForNewViewAsync(Guid studyId, InstanceFile file, DateTimeOffset now, CancellationToken ct, int views = 1) =>
        db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(
            set => set
                .SetProperty(s => s.ViewCount, s => s.ViewCount + views)
                .SetProperty(s => s.State, StudyState.Open)
                .SetProperty(s => s.Score, (double?)null)
                .SetProperty(s => s.Abnormal, (bool?)null)
                .SetProperty(s => s.BodyPartSource, s => s.BodyPart == null ? file.ResolvedBodyPartSource : s.BodyPartSource)
                .SetProperty(s => s.BodyPart, s => s.BodyPart ?? file.BodyPart)
                .SetProperty(s => s.OutOfScopeReason, s => s.OutOfScopeReason ?? file.OutOfScope)
                .SetProperty(s => s.LastInstanceAt, now)
                .SetProperty(s => s.LeaseOwner, (string?)null)
                .SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(s => s.UpdatedAt, now),
            ct);

    private Task<int> SetDerivedAsync(Guid viewId, Derivative derivative, string? sourcePath, CancellationToken ct) =>
        db.Views.Where(v => v.Id == viewId).ExecuteUpdateAsync(set => set
            .SetProperty(v => v.Width, derivative.Width).SetProperty(v => v.Height, derivative.Height)
            .SetProperty(v => v.SourceWidth, derivative.SourceWidth).SetProperty(v => v.SourceHeight, derivative.SourceHeight)
            .SetProperty(v => v.SourcePath, v => sourcePath ?? v.SourcePath), ct);

    private async Task<bool> ReviveAsync(Guid viewId, Guid studyId, CancellationToken ct)
    {
        var changed = await db.Views.Where(v => v.Id == viewId && v.State == ViewState.Failed)
            .ExecuteUpdateAsync(set => set.SetProperty(v => v.State, ViewState.Received).SetProperty(v => v.Error, (string?)null), ct);
        if (changed == 1)
        {
            await db.Studies.Where(s => s.Id == studyId).ExecuteUpdateAsync(
                set => set.SetProperty(s => s.FailedViews, s => s.FailedViews - 1).SetProperty(s => s.State, StudyState.Open).SetProperty(s => s.Score, (double?)null).SetProperty(s => s.Abnormal, (bool?)null), ct);
        }

        return changed == 1;
    }

    /// <summary>
    /// An operator's retry of a failed view: when its derivative is stored, the view goes back to Received (its re-send
    /// count cleared) and its study re-opens, so the next assembly pass queues it again and the study's score is
    /// recomputed when it ends. A view failed at ingest has no derivative: the request is recorded, and an ingest
    /// replica puts its file back into the watched folder to be read (and, if it now reads, derived and queued) again.
    /// A view that is not failed (already scored by an earlier retry) changes nothing.
    /// </summary>
    public Task<RetryOutcome> RetryViewAsync(Guid viewId, CancellationToken ct) =>
        InTransactionAsync(async token =>
        {
            var view = await db.Views.AsNoTracking().Where(v => v.Id == viewId).Select(v => new { v.StudyId, v.State, v.Width }).SingleOrDefaultAsync(token);
            if (view is null)
            {
                return RetryOutcome.Unknown;
            }

            if (view.State != ViewState.Failed)
            {
                return RetryOutcome.NotFailed;
            }

            if (view.Width == 0)
            {
                await db.Views.Where(v => v.Id == viewId && v.State == ViewState.Failed).ExecuteUpdateAsync(set => set.SetProperty(v => v.RetryRequestedAt, clock.GetUtcNow()), token);
                return RetryOutcome.ReadAgain;
            }

            await db.Views.Where(v => v.Id == viewId).ExecuteUpdateAsync(set => set.SetProperty(v => v.Requeues, 0), token);
            return await ReviveAsync(viewId, view.StudyId, token) ? RetryOutcome.Reopened : RetryOutcome.NotFailed;
        }, ct);

    /// <summary>
    /// Takes up to <paramref name="max"/> requests to read a failed view's file again (each taken by one replica: the
    /// request is cleared in the statement that claims it) and returns the views and their files.
    /// </summary>
    public async Task<IReadOnlyList<(Guid ViewId, string SourcePath)>> TakeReadAgainRequestsAsync(int max, CancellationToken ct)
    {
        var asked = await db.Views.AsNoTracking().Where(v => v.RetryRequestedAt != null).OrderBy(v => v.RetryRequestedAt).Take(max).Select(v => new { v.Id, v.SourcePath }).ToListAsync(ct);
        var taken = new List<(Guid, string)>();
        foreach (var v in asked)
        {
            if (await db.Views.Where(x => x.Id == v.Id && x.RetryRequestedAt != null).ExecuteUpdateAsync(set => set.SetProperty(x => x.RetryRequestedAt, (DateTimeOffset?)null), ct) == 1)
            {
                taken.Add((v.Id, v.SourcePath));
            }
        }

        return taken;
    }

    /// <summary>Replaces a failed view's reason (a retry that could not even find its file says so).</summary>
    public Task<int> SetFailureReasonAsync(Guid viewId, string reason, CancellationToken ct) =>
        db.Views.Where(v => v.Id == viewId && v.State == ViewState.Failed).ExecuteUpdateAsync(set => set.SetProperty(v => v.Error, Reason(reason)), ct);


    /// <summary>
    /// Records one batch's outcomes. Each view moves to Scored or Failed only from a non-terminal state
    /// (a redelivery changes nothing); the study counters move in the same transaction; the study whose
    /// counters reach its view count is completed by exactly one caller, with the mean computed in SQL.
    /// </summary>
    /// <remarks>
    /// Set-based: the batch's views and then their studies are read with their rows locked (<see cref="LockedViewsAsync"/>,
    /// <see cref="LockedStudiesAsync"/>), so what the transaction reads cannot change before it commits; every view,
    /// counter, score and heatmap then goes in one <c>SaveChanges</c>, and the studies it completes in one more. A batch
    /// of 16 views over 7 studies costs five statements' round trips, not forty.
    /// </remarks>
    public async Task<IReadOnlyList<CompletedStudy>> RecordOutcomesAsync(IReadOnlyList<ViewOutcome> outcomes, string modelSha256, Guid batchId, CancellationToken ct, OutcomeTally? tally = null)
    {
        var viewIds = outcomes.Select(o => o.ViewId).Distinct().ToArray();
        return await InTransactionAsync(async token =>
        {
            tally?.Clear();
            var now = clock.GetUtcNow();
            var views = (await LockedViewsAsync(viewIds, token)).ToDictionary(v => v.Id);
            var studies = (await LockedStudiesAsync(views.Values.Select(v => v.StudyId).Distinct().ToArray(), token)).ToDictionary(s => s.Id);
            var touched = new SortedSet<Guid>();
            foreach (var o in outcomes)
            {
                if (!views.TryGetValue(o.ViewId, out var v) || v.State is ViewState.Scored or ViewState.Failed)
                {
                    continue;
                }

                var study = studies[v.StudyId];
                if (o.Probability is { } p)
                {
                    v.State = ViewState.Scored;
                    v.Probability = p;
                    v.PredictedBodyPart = o.PredictedBodyPart;
                    v.Attempts++;
                    v.ScoredAt = now;

                    // The DICOM tags say one body part, the model sees another: flag the view for a human look.
                    v.BodyPartMismatch = o.PredictedBodyPart is { } predicted && study.BodyPart is { } tagged ? !string.Equals(predicted, tagged, StringComparison.OrdinalIgnoreCase) : null;
                    v.ModelSha256 = modelSha256;
                    v.Error = null;
                    study.ScoredViews++;
                    study.UpdatedAt = now;
                    tally?.AddScored(now - v.CreatedAt);
                    db.Scores.Add(new Score { Id = Guid.NewGuid(), ViewId = v.Id, ModelSha256 = modelSha256, Probability = p, PredictedBodyPart = o.PredictedBodyPart, BatchId = batchId, ScoredAt = now });
                    if (o.Heatmap is { } h)
                    {
                        db.Heatmaps.Add(h);
                    }
                }
                else
                {
                    Fail(v, study, o.Error ?? "inference failed", now);
                    tally?.AddFailed();
                }

                touched.Add(study.Id);
            }

            return await CompleteDoneAsync(touched.Select(id => studies[id]), modelSha256, now, token);
        }, ct);
    }

    /// <summary>
    /// The views, tracked, their rows locked until the transaction ends: on PostgreSQL <c>FOR UPDATE</c> in id order (two
    /// replicas' batches over the same views wait on each other, and cannot deadlock); on SQLite the transaction
    /// (<c>BEGIN IMMEDIATE</c>) already holds the database's one write lock.
    /// </summary>
    private Task<List<View>> LockedViewsAsync(Guid[] ids, CancellationToken ct) =>
        (db.Database.IsNpgsql()
            ? db.Views.FromSql($"""SELECT * FROM views WHERE "Id" = ANY({ids}) ORDER BY "Id" FOR UPDATE""")
            : db.Views.Where(v => ids.Contains(v.Id))).ToListAsync(ct);

    /// <summary>The studies, tracked and locked as <see cref="LockedViewsAsync"/> locks views; callers lock views first.</summary>
    private Task<List<Study>> LockedStudiesAsync(Guid[] ids, CancellationToken ct) =>
        (db.Database.IsNpgsql()
            ? db.Studies.FromSql($"""SELECT * FROM studies WHERE "Id" = ANY({ids}) ORDER BY "Id" FOR UPDATE""")
            : db.Studies.Where(s => ids.Contains(s.Id))).ToListAsync(ct);

    /// <summary>
    /// Fails one view with a reason an operator can read (a message that kept failing, a derivative the model could
    /// not take); completes the study when that was its last view.
    /// </summary>
    public Task<CompletedStudy?> FailViewAsync(Guid viewId, string reason, string? modelSha256, CancellationToken ct, OutcomeTally? tally = null) =>
        InTransactionAsync(async token =>
        {
            tally?.Clear();
            var (failed, completed) = await FailViewCoreAsync(viewId, reason, modelSha256, clock.GetUtcNow(), token);
            if (failed)
            {
                tally?.AddFailed();
            }

            return completed;
        }, ct);

    /// <summary><see cref="StoreTransaction.RunAsync"/>, counting the time held in <see cref="Held"/>.</summary>
    private Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct) =>
        StoreTransaction.RunAsync(db, work, ct, held => Held += held);

    /// <summary>
    /// Fails one view inside the caller's transaction, its row and then its study's locked as a batch's are, unless it is
    /// already scored or failed (or, with <paramref name="unlessDerived"/>, already has a derivative: a bad copy never
    /// undoes a good one); then completes the study when that was its last view.
    /// </summary>
    private async Task<(bool Failed, CompletedStudy? Completed)> FailViewCoreAsync(Guid viewId, string reason, string? modelSha256, DateTimeOffset now, CancellationToken ct, bool unlessDerived = false)
    {
        var view = (await LockedViewsAsync([viewId], ct)).SingleOrDefault();
        if (view is null || view.State is ViewState.Scored or ViewState.Failed || (unlessDerived && view.Width > 0))
        {
            return (false, null);
        }

        var study = (await LockedStudiesAsync([view.StudyId], ct)).Single();
        Fail(view, study, reason, now);
        return (true, (await CompleteDoneAsync([study], modelSha256, now, ct)).SingleOrDefault());
    }

    /// <summary>A tracked, locked view fails with a reason an operator can read; its study counts it.</summary>
    private static void Fail(View view, Study study, string reason, DateTimeOffset now)
    {
        view.State = ViewState.Failed;
        view.Error = Reason(reason);
        view.Attempts++;
        view.ScoredAt = now;
        study.FailedViews++;
        study.UpdatedAt = now;
    }

    /// <summary>A failure's reason as stored: its first 2,000 characters.</summary>
    private static string Reason(string reason) => reason.Length > 2000 ? reason[..2000] : reason;

    /// <summary>
    /// Saves the tracked changes, then completes those of the tracked, locked <paramref name="studies"/> whose every view is
    /// now scored or failed: the score is the mean of the scored views (the MURA rule, in SQL), the flag comes from the one
    /// threshold policy (calibrated for the scoring model, configured, 0.5). The rows stay locked until the transaction
    /// ends, so no other transaction completes them too. Without <paramref name="modelSha256"/> (a failure at ingest), the
    /// model is the one that scored the study's latest view.
    /// </summary>
    private async Task<IReadOnlyList<CompletedStudy>> CompleteDoneAsync(IEnumerable<Study> studies, string? modelSha256, DateTimeOffset now, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        var done = studies.Where(s => s.State is StudyState.Open or StudyState.Queued && s.ViewCount > 0 && s.ScoredViews + s.FailedViews >= s.ViewCount).ToList();
        if (done.Count == 0)
        {
            return [];
        }

        var doneIds = done.Select(s => s.Id).ToArray();
        var means = await db.Views.Where(v => doneIds.Contains(v.StudyId) && v.State == ViewState.Scored)
            .GroupBy(v => v.StudyId).Select(g => new { g.Key, Mean = g.Average(v => v.Probability) }).ToDictionaryAsync(m => m.Key, m => m.Mean, ct);
        // A study whose headers named no type takes the model's: its scored views' majority, marked as the model's call.
        var untyped = done.Where(s => s.BodyPart is null).Select(s => s.Id).ToArray();
        var majority = untyped.Length == 0 ? [] : (await db.Views.Where(v => untyped.Contains(v.StudyId) && v.State == ViewState.Scored && v.PredictedBodyPart != null)
                .GroupBy(v => new { v.StudyId, v.PredictedBodyPart }).Select(g => new { g.Key.StudyId, g.Key.PredictedBodyPart, N = g.Count() }).ToListAsync(ct))
            .GroupBy(x => x.StudyId).ToDictionary(g => g.Key, g => g.OrderByDescending(x => x.N).ThenBy(x => x.PredictedBodyPart, StringComparer.Ordinal).First().PredictedBodyPart);
        var completed = new List<CompletedStudy>(done.Count);
        foreach (var s in done)
        {
            if (s.BodyPart is null && majority.GetValueOrDefault(s.Id) is { } part)
            {
                s.BodyPart = part;
                s.BodyPartSource = StudyTypeCall.Model;
            }

            var sha = modelSha256;
            s.Score = means.GetValueOrDefault(s.Id);
            s.Abnormal = null;
            if (s.Score is { } score)
            {
                sha ??= await db.Views.Where(v => v.StudyId == s.Id && v.State == ViewState.Scored).OrderByDescending(v => v.ScoredAt).Select(v => v.ModelSha256).FirstOrDefaultAsync(ct);
                s.Abnormal = StudyAggregate.IsAbnormal(score, await thresholds.ThresholdAsync(sha, s.BodyPart, ct));
            }

            s.State = s.ScoredViews > 0 ? StudyState.Scored : StudyState.Failed;
            s.ModelSha256 = sha;
            s.ScoredAt = now;
            s.UpdatedAt = now;
            completed.Add(new CompletedStudy(s.Id, s.StudyInstanceUid, s.BodyPart, s.ScoredViews, s.FailedViews, s.Score, s.Abnormal, sha));
        }

        await db.SaveChangesAsync(ct);
        return completed;
    }
}
