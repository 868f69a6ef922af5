using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;

namespace MuraPipeline.Hosting.Embedded;

/// <summary>studies.csv, views.csv and report.html (the worklist by score, each view's heatmap overlay).</summary>
public static class ReportWriter
{
    public const string StudiesHeader = "study_uid,body_part,views,score,abnormal,model_sha256,study_path,body_part_source,state,out_of_scope";
    public const string ViewsHeader = "study_uid,sop_instance_uid,file,state,probability,predicted_body_part,body_part_mismatch,peak_x,peak_y,model_sha256,error,study_body_part,body_part_source";

    /// <summary>Studies whose media one query reads and whose thumbnails are rendered together.</summary>
    private const int StudiesPerBlock = 32;

    public static void WriteCsv(ScreenResult r, string outDir)
    {
        Csv.Write(Path.Combine(outDir, "studies.csv"), StudiesHeader,
            r.Studies.Select(s => new object?[] { s.StudyInstanceUid, s.BodyPart, s.Views, s.Score, s.Abnormal, s.ModelSha256, s.StudyPath, s.BodyPartSource, StateName(s.State), s.OutOfScopeReason }));
        Csv.Write(Path.Combine(outDir, "views.csv"), ViewsHeader,
            r.Views.Select(v => new object?[] { v.StudyInstanceUid, v.SopInstanceUid, v.File, StateName(v.State), v.Probability, v.PredictedBodyPart, v.BodyPartMismatch, v.PeakX, v.PeakY, v.ModelSha256, v.Error, v.StudyBodyPart, v.BodyPartSource }));
    }

    private static string StateName(StudyState s) => s == StudyState.OutOfScope ? "out_of_scope" : s.ToString().ToLowerInvariant();

    private static string StateName(ViewState s) => s == ViewState.OutOfScope ? "out_of_scope" : s.ToString().ToLowerInvariant();

    public static async Task WriteHtmlAsync(string databaseFile, ScreenResult r, string outDir, CancellationToken ct)
    {
        await using var db = DatabaseSetup.OpenContext(new DatabaseTarget(null, databaseFile));

        // Written as it goes, a block of studies at a time, so memory stays bounded whatever the backlog;
        // renamed into place at the end, so a reader never opens half a report.
        var target = Path.Combine(outDir, "report.html");
        var partial = target + ".partial";
        var file = new StreamWriter(partial, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await using (file)
        {
            var html = new StringBuilder();
            var scored = r.Studies.Count(s => s.Score is not null);
            html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MuraPipeline worklist</title><style>")
                .Append("body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%}")
                .Append("th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}")
                .Append(".abn{color:#b00020;font-weight:600}.ok{color:#1b5e20}.fail{color:#777}.bar{display:inline-block;height:.6rem;background:#b00020;margin-right:.4rem}")
                .Append("figure{display:inline-block;margin:0 .4rem .4rem 0}figcaption{font-size:.75rem;color:#555}img{display:block;border:1px solid #ccc}code{font-size:.8rem}")
                .Append("</style></head><body>")
                .Append(CultureInfo.InvariantCulture, $"<h1>Worklist</h1><p>{r.Studies.Count} studies, {scored} scored, {r.Studies.Count(s => s.Abnormal == true)} flagged abnormal, {r.FailedViews} views failed. Model <code>{r.ModelSha256[..12]}</code>. Sorted by score, highest first; the heatmap shows where the model looked.</p>")
                .Append("<table><thead><tr><th>#</th><th>Study</th><th>Body part</th><th>Score</th><th>Flag</th><th>Views</th></tr></thead><tbody>");
            await file.WriteAsync(html, ct);
            html.Clear();
            var viewsByStudy = r.Views.ToLookup(v => v.StudyInstanceUid);
            var rank = 0;
            foreach (var block in r.Studies.Chunk(StudiesPerBlock))
            {
                // One query per block of studies for their derivatives and heatmaps, so memory stays bounded by the
                // block whatever the backlog; the block's thumbnails are rendered on every core, then written in order.
                var views = block.Select(s => viewsByStudy[s.StudyInstanceUid].ToList()).ToList();
                var sops = views.SelectMany(vs => vs).Where(v => v.State == ViewState.Scored).Select(v => v.SopInstanceUid).ToList();
                var media = await (
                    from v in db.Views.AsNoTracking()
                    where sops.Contains(v.SopInstanceUid)
                    join i in db.ViewImages.AsNoTracking() on v.Id equals i.ViewId
                    join h in db.Heatmaps.AsNoTracking() on v.Id equals h.ViewId into heatmaps
                    from h in heatmaps.DefaultIfEmpty()
                    select new { v.SopInstanceUid, i.Png, Heatmap = h }).ToDictionaryAsync(x => x.SopInstanceUid, ct);
                var flat = views.SelectMany(vs => vs).ToList();
                var figures = new string[flat.Count];
                Parallel.For(0, flat.Count, new ParallelOptions { CancellationToken = ct }, k =>
                {
                    var v = flat[k];
                    figures[k] = media.TryGetValue(v.SopInstanceUid, out var m) ? Figure(v, m.Png, m.Heatmap) : Figure(v, null, null);
                });

                var next = 0;
                for (var j = 0; j < block.Length; j++)
                {
                    var s = block[j];
                    rank++;
                    var flag = s.Abnormal switch { true => "<span class=\"abn\">abnormal</span>", false => "<span class=\"ok\">normal</span>", _ => "<span class=\"fail\">not scored</span>" };
                    var score = s.Score is { } sc ? string.Create(CultureInfo.InvariantCulture, $"<span class=\"bar\" style=\"width:{sc * 80:0}px\"></span>{sc:0.000}") : "–";
                    html.Append(CultureInfo.InvariantCulture, $"<tr><td>{rank}</td><td><code>{Enc(s.StudyInstanceUid)}</code></td><td>{Enc(s.BodyPart ?? "?")}</td><td>{score}</td><td>{flag}</td><td>");
                    for (var n = 0; n < views[j].Count; n++)
                    {
                        html.Append(figures[next++]);
                    }

                    html.Append("</td></tr>");
                }

                await file.WriteAsync(html, ct);
                html.Clear();
            }

            await file.WriteAsync("</tbody></table></body></html>".AsMemory(), ct);
        }

        File.Move(partial, target, overwrite: true);
    }

    private static string Figure(ViewRow v, byte[]? png, Data.Heatmap? heat)
    {
        if (v.State != ViewState.Scored)
        {
            return $"<figure><figcaption class=\"fail\">{Enc(Path.GetFileName(v.File))}: {Enc(v.Error ?? v.State.ToString())}</figcaption></figure>";
        }

        if (png is null)
        {
            return string.Empty;
        }

        var thumb = Imaging.Heatmap.RenderPng(png, heat?.Grid, heat?.Width ?? 0, heat?.Height ?? 0, 192)!;
        return string.Create(CultureInfo.InvariantCulture, $"<figure><img alt=\"view heatmap\" src=\"data:image/png;base64,{Convert.ToBase64String(thumb)}\"><figcaption>{v.Probability:0.000} {Enc(v.PredictedBodyPart ?? string.Empty)}{(v.BodyPartMismatch == true ? " (body part differs from the DICOM tags)" : string.Empty)}</figcaption></figure>");
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
