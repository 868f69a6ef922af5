using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>
/// The results outbox in the database: which scored studies still need their objects, the objects themselves (made
/// once per study and model version, each with one delivery row per destination, in one transaction), and the
/// deliveries that are due, claimed with a lease so two senders never send the same one at once.
/// </summary>
public sealed class ResultsOutbox(MuraDbContext db, IThresholdPolicy thresholds, IOptions<ResultOptions> options, TimeProvider clock)
{
    private readonly ResultOptions _options = options.Value;

    /// <summary>Scored DICOM studies without objects for their model version (and, with SendOn = verdict, with a reader's verdict), oldest first, after <paramref name="after"/>.</summary>
    public Task<List<Guid>> StudiesWithoutResultsAsync(Guid? after, int take, CancellationToken ct)
    {
        var verdictOnly = string.Equals(_options.SendOn, "verdict", StringComparison.OrdinalIgnoreCase);
        var q = db.Studies.AsNoTracking().Where(s => s.State == StudyState.Scored && s.ModelSha256 != null && s.Source == "dicom"
            && !db.StoredResults.Any(r => r.StudyId == s.Id && r.ModelSha256 == s.ModelSha256));
        if (verdictOnly)
        {
            q = q.Where(s => db.Verdicts.Any(v => v.StudyInstanceUid == s.StudyInstanceUid));
        }

        if (after is { } a)
        {
            q = q.Where(s => s.Id.CompareTo(a) > 0);
        }

        return q.OrderBy(s => s.Id).Select(s => s.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>Scored DICOM studies (or the one with this UID), for `mura results export`.</summary>
    public Task<List<Guid>> ScoredStudiesAsync(string? studyUid, CancellationToken ct) =>
        db.Studies.AsNoTracking().Where(s => s.State == StudyState.Scored && s.ModelSha256 != null && s.Source == "dicom" && (studyUid == null || s.StudyInstanceUid == studyUid))
            .OrderBy(s => s.StudyInstanceUid).Select(s => s.Id).ToListAsync(ct);

    /// <summary>The objects already stored for a study under its current model, if any.</summary>
    public Task<List<StoredResult>> StoredAsync(Guid studyId, CancellationToken ct) =>
        db.StoredResults.AsNoTracking().Where(r => r.StudyId == studyId && db.Studies.Any(s => s.Id == studyId && s.ModelSha256 == r.ModelSha256))
            .OrderBy(r => r.Kind).ThenBy(r => r.SopInstanceUid).ToListAsync(ct);

    /// <summary>
    /// What a scored study's objects are made from: its scores, derivatives and CAMs under its model, and the patient,
    /// study and series attributes of its source files. Null with the reason when the study cannot have results (not
    /// scored, or its source files are gone).
    /// </summary>
    public async Task<(StudyResult? Result, string? Reason)> LoadAsync(Guid studyId, CancellationToken ct)
    {
        var study = await db.Studies.AsNoTracking().FirstOrDefaultAsync(s => s.Id == studyId, ct);
        if (study is not { State: StudyState.Scored, ModelSha256: { } sha, Score: { } score })
        {
            return (null, "the study is not scored");
        }

        var views = await db.Views.AsNoTracking().Where(v => v.StudyId == studyId && v.State == ViewState.Scored && v.ModelSha256 == sha)
            .OrderBy(v => v.SopInstanceUid).ToListAsync(ct);
        var ids = views.Select(v => v.Id).ToList();
        var pngs = await db.ViewImages.AsNoTracking().Where(i => ids.Contains(i.ViewId)).ToDictionaryAsync(i => i.ViewId, i => i.Png, ct);
        var cams = await db.Heatmaps.AsNoTracking().Where(h => ids.Contains(h.ViewId) && h.ModelSha256 == sha).ToDictionaryAsync(h => h.ViewId, ct);
        var model = await db.ModelVersions.AsNoTracking().Where(m => m.Sha256 == sha).Select(m => m.Name).FirstOrDefaultAsync(ct) ?? "model";
        DicomDataset? source = null;
        var results = new List<ViewResult>();
        foreach (var v in views)
        {
            DicomFile header;
            try
            {
                header = DicomFile.OpenHeader(v.SourcePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DicomException)
            {
                return (null, $"the source file of view {v.SopInstanceUid} cannot be read ({v.SourcePath}): {ex.Message}");
            }

            source ??= header.Dataset;
            if (!pngs.TryGetValue(v.Id, out var png))
            {
                return (null, $"view {v.SopInstanceUid} has no stored derivative");
            }

            cams.TryGetValue(v.Id, out var cam);
            results.Add(new ViewResult(
                v.SopInstanceUid,
                header.Meta.GetString(DicomTag.MediaStorageSopClassUid) ?? header.Dataset.GetString(DicomTag.SopClassUid) ?? DicomUids.DigitalXRayImageStorageForPresentation,
                header.Dataset.GetString(DicomTag.SeriesInstanceUid) ?? study.StudyInstanceUid,
                v.Probability ?? 0,
                v.PredictedBodyPart,
                png,
                cam?.Grid,
                cam?.Width ?? 0,
                cam?.Height ?? 0,
                header.Dataset.GetString(DicomTag.Laterality) ?? header.Dataset.GetString(DicomTag.ImageLaterality)));
        }

        if (source is null)
        {
            return (null, "the study has no scored views");
        }

        var threshold = await thresholds.ThresholdAsync(sha, study.BodyPart, ct);
        return (new StudyResult(study.StudyInstanceUid, source, study.BodyPart, score, threshold, sha, model, study.ScoredAt ?? clock.GetUtcNow(), results, study.Abnormal ?? score >= threshold, study.BodyPartSource), null);
    }

    /// <summary>Stores a study's objects with a delivery per destination; false when another replica stored them first.</summary>
    public async Task<bool> RecordAsync(Guid studyId, StudyResult study, IReadOnlyList<ResultObject> objects, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var o in objects)
        {
            var row = new StoredResult
            {
                Id = Guid.NewGuid(),
                StudyId = studyId,
                StudyInstanceUid = study.StudyInstanceUid,
                ModelSha256 = study.ModelSha256,
                Kind = o.Kind,
                SopClassUid = o.SopClassUid,
                SopInstanceUid = o.SopInstanceUid,
                SeriesInstanceUid = o.SeriesInstanceUid,
                ViewSopInstanceUid = o.ViewSopInstanceUid,
                Content = o.Encode(),
                CreatedAt = now,
            };
            foreach (var destination in _options.Destinations.Keys)
            {
                row.Deliveries.Add(new ResultDelivery { Id = Guid.NewGuid(), Destination = destination, NextAttemptAt = now });
            }

            db.StoredResults.Add(row);
        }

        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.StoredResults.AsNoTracking().AnyAsync(r => r.StudyId == studyId && r.ModelSha256 == study.ModelSha256, ct))
            {
                return false; // another replica stored the same objects first
            }

            throw;
        }
    }

    /// <summary>Claims up to <paramref name="take"/> due deliveries to one destination (pending, due, and not held by a live lease).</summary>
    public async Task<List<(ResultDelivery Delivery, StoredResult Result)>> ClaimDueAsync(string destination, string owner, int take, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var due = db.ResultDeliveries.Where(d => d.Destination == destination && d.State == DeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now));
        var ids = await due.OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(take).ToListAsync(ct);
        if (ids.Count == 0)
        {
            return [];
        }

        var until = now + lease;
        await due.Where(d => ids.Contains(d.Id)).ExecuteUpdateAsync(u => u.SetProperty(d => d.LeaseOwner, owner).SetProperty(d => d.LeaseUntil, until), ct);
        return await db.ResultDeliveries.AsNoTracking().Where(d => ids.Contains(d.Id) && d.LeaseOwner == owner)
            .Join(db.StoredResults.AsNoTracking(), d => d.ResultId, r => r.Id, (d, r) => new { d, r })
            .Select(x => ValueTuple.Create(x.d, x.r)).ToListAsync(ct);
    }

    public async Task MarkSentAsync(Guid deliveryId, string owner, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.ResultDeliveries.Where(d => d.Id == deliveryId && d.LeaseOwner == owner).ExecuteUpdateAsync(u => u
            .SetProperty(d => d.State, DeliveryState.Sent).SetProperty(d => d.SentAt, now).SetProperty(d => d.Attempts, d => d.Attempts + 1)
            .SetProperty(d => d.LastError, (string?)null).SetProperty(d => d.LeaseOwner, (string?)null).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
    }

    /// <summary>Records a failed attempt: the next one after a doubling delay, or Failed after Results:MaxAttempts.</summary>
    public async Task MarkFailedAsync(ResultDelivery delivery, string owner, string reason, CancellationToken ct)
    {
        var attempts = delivery.Attempts + 1;
        var delay = TimeSpan.FromSeconds(Math.Min(_options.MaxRetryDelaySeconds, _options.RetryDelaySeconds * Math.Pow(2, attempts - 1)));
        var next = clock.GetUtcNow() + delay;
        var state = attempts >= _options.MaxAttempts ? DeliveryState.Failed : DeliveryState.Pending;
        var cut = reason.Length > 1024 ? reason[..1024] : reason;
        await db.ResultDeliveries.Where(d => d.Id == delivery.Id && d.LeaseOwner == owner).ExecuteUpdateAsync(u => u
            .SetProperty(d => d.State, state).SetProperty(d => d.Attempts, attempts).SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.LastError, cut).SetProperty(d => d.LeaseOwner, (string?)null).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
    }

    /// <summary>Puts deliveries back to Pending, due now: all of a study's (or one object's), or every failed one.</summary>
    public async Task<int> ResendAsync(string? studyUid, string? sopInstanceUid, bool failedOnly, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // An object whose bytes retention removed cannot be sent again; its study's results are made anew only by a new score.
        var q = db.ResultDeliveries.Where(d => d.Result!.ContentRemovedAt == null);
        if (studyUid is not null)
        {
            q = q.Where(d => d.Result!.StudyInstanceUid == studyUid);
        }

        if (sopInstanceUid is not null)
        {
            q = q.Where(d => d.Result!.SopInstanceUid == sopInstanceUid);
        }

        if (failedOnly)
        {
            q = q.Where(d => d.State == DeliveryState.Failed);
        }

        return await q.ExecuteUpdateAsync(u => u.SetProperty(d => d.State, DeliveryState.Pending).SetProperty(d => d.NextAttemptAt, now)
            .SetProperty(d => d.Attempts, 0).SetProperty(d => d.LeaseOwner, (string?)null).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), ct);
    }

    /// <summary>Objects, newest first (a study's, or only those with a delivery not yet sent), with their deliveries.</summary>
    public async Task<IReadOnlyList<OutboxEntry>> ListAsync(string? studyUid, int take, CancellationToken ct, bool unsentOnly = false)
    {
        var q = db.StoredResults.AsNoTracking();
        if (studyUid is not null)
        {
            q = q.Where(r => r.StudyInstanceUid == studyUid);
        }

        if (unsentOnly)
        {
            q = q.Where(r => r.Deliveries.Any(d => d.State != DeliveryState.Sent));
        }

        var rows = await q.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Kind).ThenBy(r => r.SopInstanceUid).Take(take)
            .Select(r => new StoredResult
            {
                Id = r.Id, StudyId = r.StudyId, StudyInstanceUid = r.StudyInstanceUid, ModelSha256 = r.ModelSha256, Kind = r.Kind, SopClassUid = r.SopClassUid,
                SopInstanceUid = r.SopInstanceUid, SeriesInstanceUid = r.SeriesInstanceUid, ViewSopInstanceUid = r.ViewSopInstanceUid, Content = Array.Empty<byte>(), CreatedAt = r.CreatedAt,
            }).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var deliveries = await db.ResultDeliveries.AsNoTracking().Where(d => ids.Contains(d.ResultId)).ToListAsync(ct);
        return [.. rows.Select(r => new OutboxEntry(r, [.. deliveries.Where(d => d.ResultId == r.Id).OrderBy(d => d.Destination, StringComparer.Ordinal)]))];
    }

    public async Task<OutboxCounts> CountsAsync(CancellationToken ct)
    {
        var states = await db.ResultDeliveries.AsNoTracking().GroupBy(d => d.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        int Of(DeliveryState s) => states.Where(x => x.Key == s).Sum(x => x.Count);
        return new OutboxCounts(await db.StoredResults.CountAsync(ct), Of(DeliveryState.Pending), Of(DeliveryState.Sent), Of(DeliveryState.Failed));
    }
}
