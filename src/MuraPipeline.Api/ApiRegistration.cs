using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Api.Access;
using MuraPipeline.Api.Pages;
using MuraPipeline.Data;
using MuraPipeline.Imaging;

namespace MuraPipeline.Api;

public static class ApiRegistration
{
    /// <summary>The api role's services: the status reader and an HTTP client for the broker's management API.</summary>
    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpClient();
        builder.Services.AddScoped<PipelineStatusReader>();
        builder.Services.AddScoped<ConsoleReads>();
        builder.Services.AddScoped<ErrorQueues>();
        builder.Services.AddHostedService<FirstAdminNotice>();
        return builder;
    }

    /// <summary>
    /// The console's sign-in pages and the JSON API: GET /api/status (the `mura status --json` document; operators),
    /// /api/worklist (scored studies by score, highest first), /api/views/{sop}/heatmap.png and the verdicts (readers).
    /// The group needs a reader; a route that needs more says so.
    /// </summary>
    public static IEndpointRouteBuilder MapApi(this IEndpointRouteBuilder root)
    {
        root.MapConsoleSignIn();
        root.MapReaderPages();
        root.MapOperatorPages();
        root.MapPacsPages();
        root.MapAdminPages();
        var app = root.MapGroup("/api").RequireAuthorization(ConsoleSecurity.Policy(AccessRole.Reader));
        app.MapGet("/status", async (PipelineStatusReader reader, CancellationToken ct) => Results.Json(await reader.ReadAsync(ct), PipelineStatus.Json))
            .RequireAuthorization(ConsoleSecurity.Policy(AccessRole.Operator));
        app.MapGet("/worklist", async (MuraDbContext db, int? top, CancellationToken ct) =>
        {
            var rows = await db.Studies.AsNoTracking()
                .Where(s => s.State == StudyState.Scored)
                .OrderByDescending(s => s.Score)
                .Take(Math.Clamp(top ?? 100, 1, 10_000))
                .Select(s => new { study_instance_uid = s.StudyInstanceUid, body_part = s.BodyPart, body_part_source = s.BodyPartSource, views = s.ViewCount, scored_views = s.ScoredViews, failed_views = s.FailedViews, score = s.Score, abnormal = s.Abnormal, model_sha256 = s.ModelSha256 })
                .ToListAsync(ct);
            return Results.Json(rows);
        });

        // A view's pictures, rendered on demand from the stored derivative and CAM grid: the overlay (heatmap.png), the
        // derivative alone (image.png) and the colour-mapped CAM alone (cam.png, for the viewer's opacity control).
        foreach (var (file, layer) in new[] { ("heatmap.png", HeatmapLayer.Blend), ("image.png", HeatmapLayer.Image), ("cam.png", HeatmapLayer.Colour) })
        {
            app.MapGet($"/views/{{sopInstanceUid}}/{file}", async (MuraDbContext db, string sopInstanceUid, int? size, CancellationToken ct) =>
            {
                var row = await (from v in db.Views.AsNoTracking().Where(v => v.SopInstanceUid == sopInstanceUid)
                                 join i in db.ViewImages.AsNoTracking() on v.Id equals i.ViewId
                                 join h in db.Heatmaps.AsNoTracking() on v.Id equals h.ViewId into heat
                                 from h in heat.DefaultIfEmpty()
                                 select new { i.Png, Grid = h == null ? null : h.Grid, Width = h == null ? 0 : h.Width, Height = h == null ? 0 : h.Height }).FirstOrDefaultAsync(ct);
                var png = row is null ? null : Imaging.Heatmap.RenderPng(row.Png, row.Grid, row.Width, row.Height, Math.Clamp(size ?? 512, 32, 2048), layer);
                return png is null
                    ? Results.NotFound(new { error = row is null ? $"no stored image for view {sopInstanceUid}" : $"view {sopInstanceUid} has no heatmap" })
                    : Results.File(png, "image/png");
            });
        }

        // Ground truth: a reader's verdict on a study (every verdict is kept; the latest wins) and its history.
        app.MapPost("/studies/{studyInstanceUid}/verdicts", async (HttpContext http, MuraDbContext db, GroundTruthStore store, AuditLog audit, string studyInstanceUid, VerdictRequest request, CancellationToken ct) =>
        {
            var recorded = await Verdicts.RecordAsync(http, db, store, audit, studyInstanceUid, request, ct);
            return recorded.Problem is { } problem
                ? recorded.UnknownStudy ? Results.NotFound(new { error = problem }) : Results.BadRequest(new { error = problem })
                : Results.Created($"/api/studies/{studyInstanceUid}/verdicts", new { id = recorded.Id, duplicate = recorded.Duplicate });
        });
        app.MapGet("/studies/{studyInstanceUid}/verdicts", async (GroundTruthStore store, string studyInstanceUid, CancellationToken ct) =>
            Results.Json((await store.HistoryAsync(studyInstanceUid, ct)).Select(v => new { id = v.Id, abnormal = v.Abnormal, body_part = v.BodyPart, reader = v.ReaderId, read_at = v.ReadAt, recorded_at = v.RecordedAt, source = v.Source })));
        return app;
    }
}
