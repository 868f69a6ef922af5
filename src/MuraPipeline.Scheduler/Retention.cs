using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Ingest;

namespace MuraPipeline.Scheduler;

/// <summary>
/// Applies the retention settings: deletes what each kind's period allows and nothing a later stage still needs.
/// Originals go only from the ingest archive folder (never a file `mura screen` read where it lies) and only once
/// their study is scored and, where results are sent, every delivery of its results succeeded; derivatives and
/// heatmaps only of ended studies whose results are delivered and whose verdicts are exported; result bytes only
/// once every destination acknowledged them; failed files by the time of their failure. Work goes in batches, so a
/// run over a million views holds a batch in memory. A dry run reads the same and changes nothing; a real run is audited.
/// </summary>
public sealed partial class Retention(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, IOptions<IngestOptions> ingest, IOptions<ResultOptions> results, TimeProvider clock, ILogger<Retention> logger)
{
    private const int Batch = 500;

    public const string Originals = "originals";
    public const string Derivatives = "derivatives";
    public const string ResultObjects = "result_objects";
    public const string FailedFiles = "failed_files";

    public async Task<RetentionReport> RunAsync(bool dryRun, AuditActor by, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var kinds = new List<RetentionKind>
        {
            await KindAsync(Originals, o.OriginalsAfter, after => OriginalsAsync(now - after, dryRun, ct)),
            await KindAsync(Derivatives, o.DerivativesAfter, after => DerivativesAsync(now - after, dryRun, ct)),
            await KindAsync(ResultObjects, o.ResultObjectsAfter, after => ResultObjectsAsync(now - after, dryRun, ct)),
            await KindAsync(FailedFiles, o.FailedFilesAfter, after => FailedFilesAsync(now - after, dryRun, ct)),
        };
        var report = new RetentionReport(dryRun, kinds);
        if (!dryRun)
        {
            var detail = string.Join("; ", kinds.Select(k => k.After is null ? $"{k.Kind}: kept" : $"{k.Kind}: {k.Count} ({k.Bytes} bytes)"));
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<AuditLog>().RecordAsync(by.Did("retention", "run", detail), ct);
            LogRun(logger, detail);
        }

        return report;
    }

    private static async Task<RetentionKind> KindAsync(string kind, TimeSpan? after, Func<TimeSpan, Task<(int Count, long Bytes)>> run)
    {
        if (after is not { } a)
        {
            return new RetentionKind(kind, null, 0, 0);
        }

        var (count, bytes) = await run(a);
        return new RetentionKind(kind, a, count, bytes);
    }

    /// <summary>
    /// Results still to be made or delivered need the study's originals (the SR copies their header) and derivatives
    /// (the captures are drawn from them): a study is done with them when it has no delivery short of Sent and, where
    /// destinations are configured, objects for its current model.
    /// </summary>
    private IQueryable<Study> ResultsDone(MuraDbContext db, IQueryable<Study> studies)
    {
        studies = studies.Where(s => !db.ResultDeliveries.Any(d => d.Result!.StudyId == s.Id && d.State != DeliveryState.Sent));
        return results.Value.Destinations.Count == 0
            ? studies
            : studies.Where(s => s.State == StudyState.OutOfScope || s.Source != "dicom" || db.StoredResults.Any(r => r.StudyId == s.Id && r.ModelSha256 == s.ModelSha256));
    }

    /// <summary>
    /// One pass over a kind's rows in keyset batches of <see cref="Batch"/>, each batch read by <paramref name="next"/>
    /// (the rows after an id, in id order) in a scope of its own and handed to <paramref name="take"/>, which says
    /// how many rows and bytes it took (or, in a dry run, would take).
    /// </summary>
    private async Task<(int, long)> InBatchesAsync<T>(Func<MuraDbContext, Guid, Task<List<T>>> next, Func<T, Guid> id, Func<MuraDbContext, List<T>, Task<(int Count, long Bytes)>> take)
    {
        var count = 0;
        long bytes = 0;
        var after = Guid.Empty;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            var batch = await next(db, after);
            if (batch.Count == 0)
            {
                return (count, bytes);
            }

            after = id(batch[^1]);
            var (n, b) = await take(db, batch);
            count += n;
            bytes += b;
        }
    }

    private async Task<(int, long)> OriginalsAsync(DateTimeOffset cutoff, bool dryRun, CancellationToken ct)
    {
        var archive = ingest.Value.ResolvedArchiveDir;
        if (archive.Length == 0)
        {
            return (0, 0);
        }

        var root = Path.TrimEndingDirectorySeparator(archive) + Path.DirectorySeparatorChar;
        var (count, bytes) = await InBatchesAsync(
            (db, after) =>
            {
                // Scored studies, and those set aside as out of scope (never scored, never sent), counted from when they ended.
                var studies = ResultsDone(db, db.Studies.Where(s => (s.State == StudyState.Scored || s.State == StudyState.OutOfScope) && s.ScoredAt <= cutoff));
                return db.Views.AsNoTracking()
                    .Where(v => v.OriginalRemovedAt == null && (v.State == ViewState.Scored || v.State == ViewState.OutOfScope) && studies.Any(s => s.Id == v.StudyId) && v.Id.CompareTo(after) > 0)
                    .OrderBy(v => v.Id).Take(Batch).Select(v => new { v.Id, v.SourcePath }).ToListAsync(ct);
            },
            v => v.Id,
            async (db, batch) =>
            {
                var mine = batch.Where(v => Path.GetFullPath(v.SourcePath).StartsWith(root, StringComparison.Ordinal)).ToList();
                var removed = mine.Sum(v => Remove(v.SourcePath, dryRun));
                if (!dryRun && mine.Count > 0)
                {
                    var ids = mine.Select(v => v.Id).ToList();
                    var now = clock.GetUtcNow();
                    await db.Views.Where(v => ids.Contains(v.Id)).ExecuteUpdateAsync(u => u.SetProperty(v => v.OriginalRemovedAt, now), ct);
                }

                return (mine.Count, removed);
            });

        // Second copies of instances already held (a PACS resend) are never read again.
        var (n, b) = RemoveFiles(Path.Combine(archive, ".duplicates"), cutoff, dryRun);
        return (count + n, bytes + b);
    }

    private Task<(int, long)> DerivativesAsync(DateTimeOffset cutoff, bool dryRun, CancellationToken ct) => InBatchesAsync(
        (db, after) =>
        {
            var ended = db.Studies.Where(s => (s.State == StudyState.Scored || s.State == StudyState.Failed || s.State == StudyState.OutOfScope) && (s.ScoredAt ?? s.UpdatedAt) <= cutoff
                // A verdict (a reader's, or an imported label) the export has not yet taken keeps the images it will export.
                && !db.Verdicts.Any(v => v.StudyInstanceUid == s.StudyInstanceUid
                    && !db.ExportedStudies.Any(e => e.StudyInstanceUid == s.StudyInstanceUid && e.LastVerdictId >= v.Id)));
            var studies = ResultsDone(db, ended);
            return db.Views.AsNoTracking()
                .Where(v => v.DerivativesRemovedAt == null && studies.Any(s => s.Id == v.StudyId) && v.Id.CompareTo(after) > 0)
                .OrderBy(v => v.Id).Take(Batch)
                .Select(v => new
                {
                    v.Id,
                    Bytes = ((long?)db.ViewImages.Where(i => i.ViewId == v.Id).Sum(i => (long?)i.Png.Length) ?? 0)
                        + ((long?)db.Heatmaps.Where(h => h.ViewId == v.Id).Sum(h => (long?)h.Grid.Length) ?? 0),
                })
                .ToListAsync(ct);
        },
        v => v.Id,
        async (db, batch) =>
        {
            if (!dryRun)
            {
                var ids = batch.Select(v => v.Id).ToList();
                var now = clock.GetUtcNow();
                await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
                {
                    await using var tx = await db.Database.BeginTransactionAsync(token);
                    await db.ViewImages.Where(i => ids.Contains(i.ViewId)).ExecuteDeleteAsync(token);
                    await db.Heatmaps.Where(h => ids.Contains(h.ViewId)).ExecuteDeleteAsync(token);
                    await db.Views.Where(v => ids.Contains(v.Id)).ExecuteUpdateAsync(u => u.SetProperty(v => v.DerivativesRemovedAt, now), token);
                    await tx.CommitAsync(token);
                }, ct);
            }

            return (batch.Count, batch.Sum(v => v.Bytes));
        });

    private Task<(int, long)> ResultObjectsAsync(DateTimeOffset cutoff, bool dryRun, CancellationToken ct) => InBatchesAsync(
        (db, after) => db.StoredResults.AsNoTracking()
            .Where(r => r.ContentRemovedAt == null && r.Id.CompareTo(after) > 0 && r.Deliveries.Any()
                && r.Deliveries.All(d => d.State == DeliveryState.Sent && d.SentAt <= cutoff))
            .OrderBy(r => r.Id).Take(Batch).Select(r => new { r.Id, Bytes = (long)r.Content.Length }).ToListAsync(ct),
        r => r.Id,
        async (db, batch) =>
        {
            if (!dryRun)
            {
                var ids = batch.Select(r => r.Id).ToList();
                var now = clock.GetUtcNow();
                await db.StoredResults.Where(r => ids.Contains(r.Id))
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.Content, Array.Empty<byte>()).SetProperty(r => r.ContentRemovedAt, now), ct);
            }

            return (batch.Count, batch.Sum(r => r.Bytes));
        });

    private async Task<(int, long)> FailedFilesAsync(DateTimeOffset cutoff, bool dryRun, CancellationToken ct)
    {
        var failed = ingest.Value.ResolvedFailedDir;
        if (failed.Length == 0)
        {
            return (0, 0);
        }

        var removed = new List<string>();
        var (count, bytes) = RemoveFiles(failed, cutoff, dryRun, removed);
        if (!dryRun)
        {
            var now = clock.GetUtcNow();
            foreach (var chunk in removed.Chunk(Batch))
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
                await db.Views.Where(v => chunk.Contains(v.SourcePath) && v.OriginalRemovedAt == null).ExecuteUpdateAsync(u => u.SetProperty(v => v.OriginalRemovedAt, now), ct);
            }
        }

        return (count, bytes);
    }

    /// <summary>
    /// Every file under <paramref name="folder"/> whose time is at or before <paramref name="cutoff"/>, with its
    /// ".reason.txt" (whose time, written at the failure, is the file's time when there is one: a move keeps the
    /// file's own, older time).
    /// </summary>
    private static (int Count, long Bytes) RemoveFiles(string folder, DateTimeOffset cutoff, bool dryRun, List<string>? removed = null)
    {
        if (!Directory.Exists(folder))
        {
            return (0, 0);
        }

        var count = 0;
        long bytes = 0;
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            if (path.EndsWith(".reason.txt", StringComparison.Ordinal))
            {
                continue;
            }

            var reason = path + ".reason.txt";
            var when = File.Exists(reason) ? File.GetLastWriteTimeUtc(reason) : File.GetLastWriteTimeUtc(path);
            if (when > cutoff.UtcDateTime)
            {
                continue;
            }

            bytes += Remove(path, dryRun);
            if (File.Exists(reason))
            {
                bytes += Remove(reason, dryRun);
            }

            count++;
            removed?.Add(path);
        }

        return (count, bytes);
    }

    /// <summary>The file's size, and (unless a dry run) the file gone; a file already gone is 0 bytes.</summary>
    private static long Remove(string path, bool dryRun)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return 0;
        }

        var length = info.Length;
        if (!dryRun)
        {
            info.Delete();
        }

        return length;
    }

    [LoggerMessage(EventId = 6210, Level = LogLevel.Information, Message = "Retention run: {Detail}")]
    private static partial void LogRun(ILogger logger, string detail);
}
