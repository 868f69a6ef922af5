using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>The read side of results: what screen's reports and evaluate read, from one query each.</summary>
public static class ResultRows
{
    /// <summary>The source of studies made for files that could not be filed under a real study (their views carry the reason).</summary>
    public const string UnfiledSource = "unfiled";

    /// <summary>Studies (real ones: never the stand-ins of unfiled files) and their views, for a set of study ids.</summary>
    public static async Task<(List<StudyRow> Studies, List<ViewRow> Views)> ReadAsync(MuraDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var studies = new List<StudyRow>();
        var views = new List<ViewRow>();
        foreach (var chunk in ids.Chunk(500))
        {
            var rows = await db.Studies.AsNoTracking().Where(x => chunk.Contains(x.Id) && x.Source != UnfiledSource)
                .Select(x => new
                {
                    Row = new StudyRow(x.StudyInstanceUid, x.BodyPart, x.ViewCount, x.ScoredViews, x.FailedViews, x.Score, x.Abnormal, x.ModelSha256, x.State, null, x.BodyPartSource, x.OutOfScopeReason),
                    x.Source,
                    AnyFile = db.Views.Where(v => v.StudyId == x.Id).OrderBy(v => v.SourcePath).Select(v => v.SourcePath).FirstOrDefault(),
                })
                .ToListAsync(ct);
            studies.AddRange(rows.Select(r => r.Source == "mura" && r.AnyFile is not null ? r.Row with { StudyPath = Path.GetDirectoryName(r.AnyFile) + "/" } : r.Row));
            views.AddRange(await ViewRows(db, db.Views.Where(v => chunk.Contains(v.StudyId))).ToListAsync(ct));
        }

        return (
            studies.OrderByDescending(x => x.Score ?? -1).ThenBy(x => x.StudyInstanceUid, StringComparer.Ordinal).ToList(),
            views.OrderBy(v => v.StudyInstanceUid, StringComparer.Ordinal).ThenBy(v => v.File, StringComparer.Ordinal).ToList());
    }

    /// <summary>The report's view rows (heatmap peak in the view's own pixel grid) for a set of views.</summary>
    public static IQueryable<ViewRow> ViewRows(MuraDbContext db, IQueryable<View> views) =>
        from v in views.AsNoTracking()
        join h in db.Heatmaps.AsNoTracking() on v.Id equals h.ViewId into heat
        from h in heat.DefaultIfEmpty()
        select new ViewRow(
            v.Study!.StudyInstanceUid, v.SopInstanceUid, v.SourcePath, v.State, v.Probability, v.PredictedBodyPart, v.BodyPartMismatch,
            h == null ? null : h.PeakX * v.SourceWidth, h == null ? null : h.PeakY * v.SourceHeight, v.ModelSha256, v.Error, v.Study.BodyPart, v.Study.BodyPartSource);
}
