using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Contracts;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Pages;

/// <summary>The queries behind the console's pages: keyset paging on indexed columns, no per-row round trips.</summary>
public sealed class ConsoleReads(MuraDbContext db, IThresholdPolicy thresholds, TimeProvider clock)
{
    public static readonly string[] States = ["received", "queued", "scored", "failed", "out_of_scope"];

    /// <summary>Whether <paramref name="f"/>'s cursor is one a page of the worklist handed out; a made-up one is a bad request.</summary>
    public static bool ValidCursor(WorklistFilter f) => Cursor.TryParse(f.After, out _, out _);

    public async Task<WorklistPage> WorklistAsync(WorklistFilter f, CancellationToken ct)
    {
        var size = Math.Clamp(f.Size, 1, 500);
        var rows = await WorklistQuery(f, size + 1).ToListAsync(ct);
        var next = rows.Count > size ? Cursor.Of(rows[size - 1].Score, rows[size - 1].StudyInstanceUid) : null;
        return new WorklistPage(rows.Take(size).ToList(), next);
    }

    /// <summary>The worklist's query: one statement, a keyset page of <paramref name="take"/> rows.</summary>
    public IQueryable<WorklistRow> WorklistQuery(WorklistFilter f, int take)
    {
        var state = f.State switch
        {
            "received" => StudyState.Open,
            "queued" => StudyState.Queued,
            "failed" => StudyState.Failed,
            "out_of_scope" => StudyState.OutOfScope,
            _ => StudyState.Scored,
        };
        var q = db.Studies.AsNoTracking().Where(s => s.State == state);
        if (StudyTypes.Normalise(f.BodyPart) is { } part)
        {
            q = q.Where(s => s.BodyPart == part);
        }

        if (f.Abnormal is { } abnormal)
        {
            q = q.Where(s => s.Abnormal == abnormal);
        }

        if (f.From is { } from)
        {
            var t = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            q = q.Where(s => s.CreatedAt >= t);
        }

        if (f.To is { } to)
        {
            var t = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            q = q.Where(s => s.CreatedAt < t);
        }

        if (!string.IsNullOrWhiteSpace(f.Model))
        {
            var prefix = f.Model.Trim().ToLowerInvariant();
            q = q.Where(s => s.ModelSha256 != null && s.ModelSha256.StartsWith(prefix));
        }

        if (f.HasVerdict is { } has)
        {
            q = has ? q.Where(s => db.Verdicts.Any(v => v.StudyInstanceUid == s.StudyInstanceUid)) : q.Where(s => !db.Verdicts.Any(v => v.StudyInstanceUid == s.StudyInstanceUid));
        }

        if (f.Mismatch)
        {
            q = q.Where(s => s.Views.Any(v => v.BodyPartMismatch == true));
        }

        // Keyset: (score descending, UID ascending), which the index (State, Score, StudyInstanceUid) serves for scored
        // studies. A study of another state may have no score: it sorts as -1.
        var (afterScore, afterUid) = Cursor.Parse(f.After);
        IOrderedQueryable<Study> ordered;
        if (state == StudyState.Scored)
        {
            if (afterUid is not null)
            {
                q = q.Where(s => s.Score < afterScore || (s.Score == afterScore && string.Compare(s.StudyInstanceUid, afterUid) > 0));
            }

            ordered = q.OrderByDescending(s => s.Score).ThenBy(s => s.StudyInstanceUid);
        }
        else
        {
            if (afterUid is not null)
            {
                q = q.Where(s => (s.Score ?? -1) < afterScore || ((s.Score ?? -1) == afterScore && string.Compare(s.StudyInstanceUid, afterUid) > 0));
            }

            ordered = q.OrderByDescending(s => s.Score ?? -1).ThenBy(s => s.StudyInstanceUid);
        }

        return ordered.Take(take)
            .Select(s => new WorklistRow(
                s.StudyInstanceUid,
                s.BodyPart,
                f.State,
                s.Score,
                s.Abnormal,
                s.ViewCount,
                s.FailedViews,
                s.CreatedAt,
                s.ModelSha256,
                db.Verdicts.Where(v => v.StudyInstanceUid == s.StudyInstanceUid).OrderByDescending(v => v.Id).Select(v => (bool?)v.Abnormal).FirstOrDefault(),
                s.Views.Any(v => v.BodyPartMismatch == true),
                s.BodyPartSource,
                s.OutOfScopeReason));
    }

    public async Task<StudyDetail?> StudyAsync(string studyInstanceUid, CancellationToken ct)
    {
        var study = await db.Studies.AsNoTracking().FirstOrDefaultAsync(s => s.StudyInstanceUid == studyInstanceUid, ct);
        if (study is null)
        {
            return null;
        }

        var views = await db.Views.AsNoTracking().Where(v => v.StudyId == study.Id).OrderBy(v => v.ViewPosition).ThenBy(v => v.SopInstanceUid)
            .Select(v => new StudyView(
                v.SopInstanceUid,
                v.ViewPosition,
                v.State.ToString().ToLower(),
                v.Probability,
                v.PredictedBodyPart,
                v.BodyPartMismatch,
                v.Error,
                db.Heatmaps.Any(h => h.ViewId == v.Id),
                db.ViewImages.Any(i => i.ViewId == v.Id)))
            .ToListAsync(ct);
        var verdicts = await db.Verdicts.AsNoTracking().Where(v => v.StudyInstanceUid == studyInstanceUid).OrderByDescending(v => v.Id)
            .Select(v => new VerdictRow(v.Id, v.Abnormal, v.BodyPart, v.ReaderId, v.ReadAt, v.RecordedAt, v.Source)).ToListAsync(ct);
        var audit = await db.AuditEvents.AsNoTracking().Where(e => e.Target == studyInstanceUid).OrderByDescending(e => e.Id).Take(100).ToListAsync(ct);
        double? threshold = study.State == StudyState.Scored ? await thresholds.ThresholdAsync(study.ModelSha256, study.BodyPart, ct) : null;

        // The next study down the default worklist (scored, by score).
        string? next = null;
        if (study.State == StudyState.Scored && study.Score is { } score)
        {
            next = await db.Studies.AsNoTracking()
                .Where(s => s.State == StudyState.Scored && ((s.Score ?? -1) < score || ((s.Score ?? -1) == score && string.Compare(s.StudyInstanceUid, studyInstanceUid) > 0)))
                .OrderByDescending(s => s.Score ?? -1).ThenBy(s => s.StudyInstanceUid).Select(s => s.StudyInstanceUid).FirstOrDefaultAsync(ct);
        }

        return new StudyDetail(study, threshold, views, verdicts, audit, next);
    }

    /// <summary>Studies that failed (no view could be scored), newest first, with the reasons of their views.</summary>
    public async Task<IReadOnlyList<(string StudyInstanceUid, string? BodyPart, int Views, DateTimeOffset At, string Reasons)>> FailedStudiesAsync(int take, CancellationToken ct)
    {
        var studies = await db.Studies.AsNoTracking().Where(s => s.State == StudyState.Failed).OrderByDescending(s => s.UpdatedAt).Take(Math.Clamp(take, 1, 1000))
            .Select(s => new { s.Id, s.StudyInstanceUid, s.BodyPart, s.ViewCount, s.UpdatedAt }).ToListAsync(ct);
        var ids = studies.Select(s => s.Id).ToList();
        var reasons = (await db.Views.AsNoTracking().Where(v => ids.Contains(v.StudyId) && v.Error != null).Select(v => new { v.StudyId, v.Error }).ToListAsync(ct))
            .GroupBy(v => v.StudyId).ToDictionary(g => g.Key, g => string.Join("; ", g.Select(v => v.Error).Distinct(StringComparer.Ordinal)));
        return studies.Select(s => (s.StudyInstanceUid, s.BodyPart, s.ViewCount, s.UpdatedAt, reasons.GetValueOrDefault(s.Id, string.Empty))).ToList();
    }

    /// <summary>Failed views grouped by their reason, the largest group first.</summary>
    public async Task<IReadOnlyList<FailureGroup>> FailureGroupsAsync(CancellationToken ct) =>
        (await db.Views.AsNoTracking().Where(v => v.State == ViewState.Failed).GroupBy(v => v.Error).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
            .Select(g => new FailureGroup(g.Key ?? "(no reason recorded)", g.N)).OrderByDescending(g => g.Views).ThenBy(g => g.Reason, StringComparer.Ordinal).ToList();

    /// <summary>Failed views, newest first, whose reason contains <paramref name="reason"/> and whose study has <paramref name="bodyPart"/>.</summary>
    public async Task<IReadOnlyList<FailedView>> FailedViewsAsync(string? reason, string? bodyPart, int take, CancellationToken ct)
    {
        var q = db.Views.AsNoTracking().Where(v => v.State == ViewState.Failed);
        if (!string.IsNullOrWhiteSpace(reason))
        {
            q = q.Where(v => v.Error != null && v.Error.Contains(reason));
        }

        if (StudyTypes.Normalise(bodyPart) is { } part)
        {
            q = q.Where(v => v.Study!.BodyPart == part);
        }

        return await q.OrderByDescending(v => v.ScoredAt).Take(Math.Clamp(take, 1, 1000))
            .Select(v => new FailedView(v.Id, v.SopInstanceUid, v.Study!.StudyInstanceUid, v.Study.BodyPart, v.Error ?? string.Empty, v.ScoredAt ?? v.CreatedAt, v.Width > 0, v.SourcePath))
            .ToListAsync(ct);
    }

    /// <summary>Views scored in each of the last <paramref name="minutes"/> minutes, oldest first (the current minute last).</summary>
    public async Task<int[]> ScoredPerMinuteAsync(int minutes, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var start = now - TimeSpan.FromMinutes(minutes);
        var times = await db.Views.AsNoTracking().Where(v => v.State == ViewState.Scored && v.ScoredAt >= start).Select(v => v.ScoredAt!.Value).ToListAsync(ct);
        var counts = new int[minutes];
        foreach (var t in times)
        {
            var i = (int)Math.Floor((t - start).TotalMinutes);
            counts[Math.Clamp(i, 0, minutes - 1)]++;
        }

        return counts;
    }

    public async Task<IReadOnlyList<ReplicaRow>> ReplicasAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var since = now - TimeSpan.FromHours(1);
        return (await db.Replicas.AsNoTracking().Where(r => r.LastSeenAt >= since).OrderBy(r => r.Id).ToListAsync(ct))
            .Select(r => new ReplicaRow(r.Id, r.Roles, r.ModelSha256, r.StartedAt, r.LastSeenAt, r.LastBatchAt, r.Batches, now - r.LastSeenAt > ServiceDefaults.ReplicaState.BeatInterval * 4)).ToList();
    }

    /// <summary>Each model's last activation in the audit trail, by the model's SHA-256.</summary>
    public async Task<Dictionary<string, AuditEvent>> ModelActivationsAsync(CancellationToken ct) =>
        (await db.AuditEvents.AsNoTracking().Where(e => e.Action == "model.activate").OrderBy(e => e.Id).ToListAsync(ct))
            .GroupBy(e => e.Target ?? string.Empty).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    /// <summary>The last <paramref name="take"/> export runs, newest first.</summary>
    public Task<List<ExportRun>> ExportRunsAsync(int take, CancellationToken ct) =>
        db.ExportRuns.AsNoTracking().OrderByDescending(r => r.Id).Take(take).ToListAsync(ct);

    /// <summary>A view's SOP Instance UID, or null for a view that is not there.</summary>
    public Task<string?> SopInstanceUidAsync(Guid viewId, CancellationToken ct) =>
        db.Views.AsNoTracking().Where(v => v.Id == viewId).Select(v => v.SopInstanceUid).FirstOrDefaultAsync(ct);

    /// <summary>The last <paramref name="take"/> pulled studies that failed or arrived incomplete, newest first.</summary>
    public Task<List<PullStudy>> PullFailuresAsync(int take, CancellationToken ct) =>
        db.PullStudies.AsNoTracking().Where(s => s.State == PullStudyState.Failed || s.State == PullStudyState.Incomplete).OrderByDescending(s => s.FinishedAt).Take(take).ToListAsync(ct);

    /// <summary>The worklist's paging cursor: the last row's score and UID.</summary>
    private static class Cursor
    {
        public static string Of(double? score, string uid) => string.Create(CultureInfo.InvariantCulture, $"{score ?? -1:R}|{uid}");

        /// <summary>A cursor this class made: a finite score, a bar, a UID; anything else is not one (NaN and ∞ included).</summary>
        public static bool TryParse(string? text, out double score, out string? uid)
        {
            (score, uid) = (0, null);
            if (text is null)
            {
                return true;
            }

            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar <= 0 || bar == text.Length - 1 || text.Length > 200
                || !double.TryParse(text.AsSpan(0, bar), NumberStyles.Float, CultureInfo.InvariantCulture, out score) || !double.IsFinite(score))
            {
                return false;
            }

            uid = text[(bar + 1)..];
            return true;
        }

        public static (double Score, string? Uid) Parse(string? text) => TryParse(text, out var score, out var uid) ? (score, uid) : (0, null);
    }
}
