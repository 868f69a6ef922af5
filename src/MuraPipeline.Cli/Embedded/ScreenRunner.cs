using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;

namespace MuraPipeline.Cli.Embedded;

public sealed record ScreenSettings(IReadOnlyList<string> Inputs, string OutDir, string DatabaseFile, string? ModelPath, int BatchSize = 16, LogLevel LogLevel = LogLevel.Error);

public sealed record StudyRow(string StudyInstanceUid, string? BodyPart, int Views, int ScoredViews, int FailedViews, double? Score, bool? Abnormal, string? ModelSha256, StudyState State);

/// <summary>A view's outcome; the heatmap's peak is in the view's own pixel grid (where lesion boxes are drawn).</summary>
public sealed record ViewRow(string StudyInstanceUid, string SopInstanceUid, string File, ViewState State, double? Probability, string? PredictedBodyPart, bool? BodyPartMismatch, double? PeakX, double? PeakY, string? ModelSha256, string? Error);

public sealed record ScreenResult(IReadOnlyList<StudyRow> Studies, IReadOnlyList<ViewRow> Views, string ModelSha256, int QueuedThisRun)
{
    public int FailedViews => Views.Count(v => v.State == ViewState.Failed);
}

/// <summary>The embedded `screen` run: register, derive and queue, wait until every study touched is terminal, then report.</summary>
public static class ScreenRunner
{
    /// <summary>How long the run may go without any view finishing before it gives up.</summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromMinutes(10);

    public static async Task<ScreenResult> RunAsync(ScreenSettings s, Action<int, int>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(s.OutDir);
        var files = InputFile.Enumerate(s.Inputs);
        var settings = new Dictionary<string, string?>
        {
            ["Inference:ModelPath"] = s.ModelPath,
            ["Inference:BatchSize"] = s.BatchSize.ToString(CultureInfo.InvariantCulture),
        };
        using var host = EmbeddedHost.Build(s.DatabaseFile, settings, s.LogLevel);

        // Fail fast, before touching any input: the database must migrate and the model must load.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), ct);
        }

        var models = host.Services.GetRequiredService<ModelProvider>();
        await models.InitializeAsync(ct);

        await host.StartAsync(ct);
        try
        {
            var thresholds = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<InferenceOptions>>().Value.Thresholds;
            IReadOnlyList<StudyWork> work;
            await using (var scope = host.Services.CreateAsyncScope())
            {
                work = await scope.ServiceProvider.GetRequiredService<IngestService>().RegisterAsync(files, thresholds, ct);
            }

            var ids = work.Select(w => w.StudyId).ToList();
            var queue = Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (w, token) =>
            {
                await using var scope = host.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IngestService>().QueueAsync(w, thresholds, token);
            });
            await WaitForStudiesAsync(host.Services, ids, queue, progress, ct);
            await queue;
            return await ReadResultAsync(host.Services, ids, models.CurrentSha256!, work.Sum(w => w.Pending.Count), ct);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task WaitForStudiesAsync(IServiceProvider services, List<Guid> ids, Task queueing, Action<int, int>? progress, CancellationToken ct)
    {
        var lastDone = -1;
        var lastChange = DateTime.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (true)
        {
            int totalViews, doneViews, openStudies;
            await using (var scope = services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
                var counts = await db.Studies.Where(x => ids.Contains(x.Id))
                    .GroupBy(_ => 1)
                    .Select(g => new { Views = g.Sum(x => x.ViewCount), Done = g.Sum(x => x.ScoredViews + x.FailedViews), Open = g.Count(x => x.State == StudyState.Open || x.State == StudyState.Queued) })
                    .SingleOrDefaultAsync(ct);
                (totalViews, doneViews, openStudies) = counts is null ? (0, 0, 0) : (counts.Views, counts.Done, counts.Open);
            }

            progress?.Invoke(doneViews, totalViews);
            if (queueing.IsFaulted)
            {
                await queueing;
            }

            if (openStudies == 0 && queueing.IsCompleted)
            {
                return;
            }

            if (doneViews != lastDone)
            {
                lastDone = doneViews;
                lastChange = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - lastChange > StallLimit)
            {
                throw new TimeoutException($"no view finished for {StallLimit.TotalMinutes:0} minutes; {openStudies} studies are still open (see the log with --verbose)");
            }

            await timer.WaitForNextTickAsync(ct);
        }
    }

    public static async Task<ScreenResult> ReadResultAsync(IServiceProvider services, IReadOnlyCollection<Guid> ids, string modelSha, int queued, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var studies = await db.Studies.AsNoTracking().Where(x => ids.Contains(x.Id))
            .Select(x => new StudyRow(x.StudyInstanceUid, x.BodyPart, x.ViewCount, x.ScoredViews, x.FailedViews, x.Score, x.Abnormal, x.ModelSha256, x.State))
            .ToListAsync(ct);
        var views = await ViewRows(db, db.Views.Where(v => ids.Contains(v.StudyId))).ToListAsync(ct);
        return new ScreenResult(
            studies.OrderByDescending(x => x.Score ?? -1).ThenBy(x => x.StudyInstanceUid, StringComparer.Ordinal).ToList(),
            views.OrderBy(v => v.StudyInstanceUid, StringComparer.Ordinal).ThenBy(v => v.File, StringComparer.Ordinal).ToList(),
            modelSha,
            queued);
    }

    /// <summary>The report's view rows (heatmap peak in the view's own pixel grid) for a set of views.</summary>
    public static IQueryable<ViewRow> ViewRows(MuraDbContext db, IQueryable<View> views) =>
        from v in views.AsNoTracking()
        join h in db.Heatmaps.AsNoTracking() on v.Id equals h.ViewId into heat
        from h in heat.DefaultIfEmpty()
        select new ViewRow(
            v.Study!.StudyInstanceUid, v.SopInstanceUid, v.SourcePath, v.State, v.Probability, v.PredictedBodyPart, v.BodyPartMismatch,
            h == null ? null : h.PeakX * v.SourceWidth, h == null ? null : h.PeakY * v.SourceHeight, v.ModelSha256, v.Error);
}
