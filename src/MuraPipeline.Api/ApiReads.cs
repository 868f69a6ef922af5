using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Imaging;

namespace MuraPipeline.Api;

/// <summary>The JSON API's queries: scored studies by score, a view's pictures, a study's verdicts.</summary>
public sealed class ApiReads(MuraDbContext db, GroundTruthStore verdicts)
{
    /// <summary>The <paramref name="top"/> scored studies, highest score first.</summary>
    public Task<List<WorklistItem>> TopScoredAsync(int top, CancellationToken ct) =>
        db.Studies.AsNoTracking()
            .Where(s => s.State == StudyState.Scored)
            .OrderByDescending(s => s.Score)
            .Take(top)
            .Select(s => new WorklistItem(s.StudyInstanceUid, s.BodyPart, s.BodyPartSource, s.ViewCount, s.ScoredViews, s.FailedViews, s.Score, s.Abnormal, s.ModelSha256))
            .ToListAsync(ct);

    /// <summary>
    /// A view's picture rendered from its stored derivative and CAM grid, with a long side of <paramref name="size"/>,
    /// or why there is none (no stored image for the view, or no heatmap where the layer needs one).
    /// </summary>
    public async Task<(byte[]? Png, string? Missing)> PictureAsync(string sopInstanceUid, int size, HeatmapLayer layer, CancellationToken ct)
    {
        var row = await (from v in db.Views.AsNoTracking().Where(v => v.SopInstanceUid == sopInstanceUid)
                         join i in db.ViewImages.AsNoTracking() on v.Id equals i.ViewId
                         join h in db.Heatmaps.AsNoTracking() on v.Id equals h.ViewId into heat
                         from h in heat.DefaultIfEmpty()
                         select new { i.Png, Grid = h == null ? null : h.Grid, Width = h == null ? 0 : h.Width, Height = h == null ? 0 : h.Height }).FirstOrDefaultAsync(ct);
        if (row is null)
        {
            return (null, $"no stored image for view {sopInstanceUid}");
        }

        var png = Imaging.Heatmap.RenderPng(row.Png, row.Grid, row.Width, row.Height, size, layer);
        return png is null ? (null, $"view {sopInstanceUid} has no heatmap") : (png, null);
    }

    /// <summary>Every verdict recorded on a study, oldest first.</summary>
    public async Task<List<VerdictItem>> VerdictsAsync(string studyInstanceUid, CancellationToken ct) =>
        (await verdicts.HistoryAsync(studyInstanceUid, ct)).Select(v => new VerdictItem(v.Id, v.Abnormal, v.BodyPart, v.ReaderId, v.ReadAt, v.RecordedAt, v.Source)).ToList();
}
