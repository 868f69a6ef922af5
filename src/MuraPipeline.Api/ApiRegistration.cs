using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
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
        builder.Services.AddScoped<ApiReads>();
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
        var api = root.MapGroup("/api").RequireAuthorization(ConsoleSecurity.Policy(AccessRole.Reader));
        MapStatus(api);
        MapWorklist(api);
        MapViews(api.MapGroup("/views"));
        MapVerdicts(api.MapGroup("/studies/{studyInstanceUid}"));
        return root;
    }

    /// <summary>GET /api/status: the `mura status --json` document.</summary>
    private static void MapStatus(RouteGroupBuilder api) =>
        api.MapGet("/status", async (PipelineStatusReader reader, CancellationToken ct) => TypedResults.Json(await reader.ReadAsync(ct), PipelineStatus.Json))
            .RequireAuthorization(ConsoleSecurity.Policy(AccessRole.Operator));

    /// <summary>GET /api/worklist?top=N: scored studies by score, highest first (100 by default, at most 10,000).</summary>
    private static void MapWorklist(RouteGroupBuilder api) =>
        api.MapGet("/worklist", async (ApiReads reads, int? top, CancellationToken ct) => TypedResults.Ok(await reads.TopScoredAsync(Math.Clamp(top ?? 100, 1, 10_000), ct)));

    /// <summary>
    /// A view's pictures, rendered on demand from the stored derivative and CAM grid: the overlay (heatmap.png), the
    /// derivative alone (image.png) and the colour-mapped CAM alone (cam.png, for the viewer's opacity control).
    /// </summary>
    private static void MapViews(RouteGroupBuilder views)
    {
        foreach (var (file, layer) in new[] { ("heatmap.png", HeatmapLayer.Blend), ("image.png", HeatmapLayer.Image), ("cam.png", HeatmapLayer.Colour) })
        {
            views.MapGet($"/{{sopInstanceUid}}/{file}", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (ApiReads reads, string sopInstanceUid, int? size, CancellationToken ct) =>
            {
                var (png, missing) = await reads.PictureAsync(sopInstanceUid, Math.Clamp(size ?? 512, 32, 2048), layer, ct);
                return png is null ? NotFound(missing!) : TypedResults.File(png, "image/png");
            });
        }
    }

    /// <summary>Ground truth: a reader's verdict on a study (every verdict is kept; the latest wins) and its history.</summary>
    private static void MapVerdicts(RouteGroupBuilder study)
    {
        study.MapPost("/verdicts", async Task<Results<Created<VerdictCreated>, ProblemHttpResult>> (HttpContext http, MuraDbContext db, GroundTruthStore store, AuditLog audit, string studyInstanceUid, VerdictRequest request, CancellationToken ct) =>
        {
            var recorded = await Verdicts.RecordAsync(http, db, store, audit, studyInstanceUid, request, ct);
            return recorded.Problem is { } problem
                ? recorded.UnknownStudy ? NotFound(problem) : TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest, title: "The verdict was refused")
                : TypedResults.Created($"/api/studies/{Uri.EscapeDataString(studyInstanceUid)}/verdicts", new VerdictCreated(recorded.Id, recorded.Duplicate));
        });
        study.MapGet("/verdicts", async (ApiReads reads, string studyInstanceUid, CancellationToken ct) => TypedResults.Ok(await reads.VerdictsAsync(studyInstanceUid, ct)));
    }

    private static ProblemHttpResult NotFound(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
