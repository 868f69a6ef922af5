using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Imaging;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Scheduler;

/// <summary>
/// The retraining export: every study whose ground truth changed since the last successful export, de-identified, in
/// the MURA layout (<c>split/XR_PART/patientPSEUDONYM/studyK_positive|negative/imageN.png</c>) with MURA's CSVs and a
/// manifest. A run writes into a hidden folder and renames it into place on success; a failure removes it, records
/// the error and leaves the watermark where it was, so the next trigger exports the same studies again.
/// </summary>
public sealed partial class Exporter(IServiceScopeFactory scopes, DatabaseTarget target, IOptions<ExportOptions> options, PromotionGate gate, TimeProvider clock, ILogger<Exporter> logger)
{
    public const string Format = "mura-export/1";
    private const int Chunk = 100;

    public static string Instance => $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>Runs one export (and the training hook when <paramref name="train"/> and one is configured).</summary>
    public async Task<ExportResult> RunAsync(string trigger, string? folder, bool train, CancellationToken ct, string? schedulerInstance = null)
    {
        var result = await RunOnceAsync(trigger, folder, train, ct, schedulerInstance);
        MuraMetrics.ExportRuns.WithLabels(result.Status.ToString().ToLowerInvariant()).Inc();
        return result;
    }

    private async Task<ExportResult> RunOnceAsync(string trigger, string? folder, bool train, CancellationToken ct, string? schedulerInstance)
    {
        var instance = schedulerInstance is null ? Instance : $"{Instance} (scheduler {schedulerInstance})";
        var o = options.Value;
        var pseudonyms = new Pseudonyms(o.RequireKey());
        var root = Path.GetFullPath(folder ?? o.Folder);
        await using var exportLock = await ExportLock.TryAcquireAsync(target, ct);
        if (exportLock is null)
        {
            var skipped = await RecordSkippedAsync(trigger, instance, ct);
            LogLocked(logger, skipped);
            return new ExportResult(skipped, ExportRunStatus.Skipped, 0, 0, 0, null, "another export is running", null, null);
        }

        var run = await StartRunAsync(trigger, instance, ct);
        var partial = Path.Combine(root, $".partial-{run.Id}");
        var final = Path.Combine(root, $"export-{run.Id:D6}");
        Written written;
        try
        {
            Directory.CreateDirectory(root);
            foreach (var stale in Directory.EnumerateDirectories(root, ".partial-*"))
            {
                Directory.Delete(stale, recursive: true);
            }

            Directory.CreateDirectory(partial);
            written = await WriteAsync(run, partial, pseudonyms, o.ValidPercent, ct);
            if (written.Studies.Count == 0)
            {
                // Nothing new: the run and its watermark are recorded, no empty folder is left for the trainer.
                Directory.Delete(partial, recursive: true);
                await CompleteAsync(run.Id, written, null, ct);
                LogNothingNew(logger, run.Id, written.Skipped);
                return new ExportResult(run.Id, ExportRunStatus.Succeeded, 0, 0, written.Skipped, null, null, null, null);
            }

            if (Directory.Exists(final))
            {
                throw new IOException($"{final} already exists; move it away (the export never overwrites a folder)");
            }

            Directory.Move(partial, final);
            try
            {
                await CompleteAsync(run.Id, written, final, ct);
            }
            catch
            {
                // The database did not take the success: the folder must not outlive it (the next run exports these studies again).
                Directory.Delete(final, recursive: true);
                throw;
            }

        }
        catch (Exception ex)
        {
            TryDelete(partial);
            var error = ex is OperationCanceledException ? "cancelled (the process was stopping)" : $"{ex.GetType().Name}: {ex.Message}";
            LogFailed(logger, ex, run.Id, error);
            await RecordFailureAsync(run.Id, error);
            return new ExportResult(run.Id, ExportRunStatus.Failed, 0, 0, 0, null, error, null, null);
        }

        LogExported(logger, run.Id, written.Studies.Count, written.Images, written.Skipped, final);
        var training = train && written.Studies.Count > 0 ? await gate.RunAsync(run.Id, final, root, ct) : null;
        return new ExportResult(run.Id, ExportRunStatus.Succeeded, written.Studies.Count, written.Images, written.Skipped, final, null, training?.Status, training?.Detail);
    }

    private sealed record Written(List<ExportedStudy> Studies, int Images, int Skipped, long ToWatermark);

    private async Task<Written> WriteAsync(ExportRun run, string dir, Pseudonyms pseudonyms, int validPercent, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var to = await db.Verdicts.MaxAsync(v => (long?)v.Id, ct) ?? run.FromWatermark;
        var from = run.FromWatermark;
        await db.ExportRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.ToWatermark, to), ct);

        // The latest verdict of every study that got one in (from, to], and of every study in the database with a
        // verdict that was never exported (its verdict may have come before its images, below an earlier watermark).
        var changed = db.Verdicts.Where(v => v.Id > from && v.Id <= to).Select(v => v.StudyInstanceUid);
        var pending = db.Verdicts.Where(v => v.Id <= from
                && db.Studies.Any(s => s.StudyInstanceUid == v.StudyInstanceUid)
                && !db.ExportedStudies.Any(e => e.StudyInstanceUid == v.StudyInstanceUid))
            .Select(v => v.StudyInstanceUid);
        var candidates = changed.Union(pending);
        var latestIds = db.Verdicts.Where(v => v.Id <= to && candidates.Contains(v.StudyInstanceUid)).GroupBy(v => v.StudyInstanceUid).Select(g => g.Max(v => v.Id));
        var verdicts = await db.Verdicts.AsNoTracking().Where(v => latestIds.Contains(v.Id)).ToListAsync(ct);

        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        void Skip(string reason) => skipped[reason] = skipped.GetValueOrDefault(reason) + 1;

        var studies = new Dictionary<string, Study>(StringComparer.Ordinal);
        var previous = new Dictionary<string, ExportedStudy>(StringComparer.Ordinal);
        foreach (var chunk in verdicts.Select(v => v.StudyInstanceUid).Chunk(500))
        {
            foreach (var s in await db.Studies.AsNoTracking().Where(s => chunk.Contains(s.StudyInstanceUid)).ToListAsync(ct))
            {
                studies[s.StudyInstanceUid] = s;
            }

            foreach (var e in await db.ExportedStudies.AsNoTracking().Where(e => chunk.Contains(e.StudyInstanceUid)).ToListAsync(ct))
            {
                previous[e.StudyInstanceUid] = e;
            }
        }

        // What goes out, in a stable order (a patient's studies are numbered in the order they arrived).
        var plan = new List<(Verdict Verdict, Study Study, string BodyPart, string Patient, string Split)>();
        foreach (var v in verdicts)
        {
            if (!studies.TryGetValue(v.StudyInstanceUid, out var study))
            {
                Skip("study not in the database (verdict recorded before its images arrived)");
                continue;
            }

            var part = StudyTypes.Normalise(v.BodyPart) ?? StudyTypes.Normalise(study.BodyPart);
            if (part is null)
            {
                Skip("no body part (neither the reader nor the DICOM header gives one of the seven study types)");
                continue;
            }

            if (previous.TryGetValue(v.StudyInstanceUid, out var before) && before.Abnormal == v.Abnormal && before.BodyPart == part)
            {
                Skip("ground truth unchanged since it was last exported");
                continue;
            }

            var key = Pseudonyms.PatientKey(study.PatientId, study.StudyInstanceUid);
            plan.Add((v, study, part, pseudonyms.Patient(key), pseudonyms.Split(key, validPercent)));
        }

        plan.Sort((a, b) => a.Study.CreatedAt != b.Study.CreatedAt ? a.Study.CreatedAt.CompareTo(b.Study.CreatedAt) : string.CompareOrdinal(a.Study.StudyInstanceUid, b.Study.StudyInstanceUid));
        var patients = plan.Select(p => p.Patient).Distinct(StringComparer.Ordinal).ToList();
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in patients.Chunk(500))
        {
            foreach (var g in await db.ExportedStudies.Where(e => chunk.Contains(e.Patient)).GroupBy(e => e.Patient).Select(g => new { g.Key, Max = g.Max(e => e.StudyNumber) }).ToListAsync(ct))
            {
                numbers[g.Key] = g.Max;
            }
        }

        var models = await db.ModelVersions.AsNoTracking().Select(m => new { m.Sha256, m.Name, m.Active }).ToListAsync(ct);
        var files = new List<(string Path, string Sha256, long Bytes)>();
        var rows = new List<ExportedStudy>();
        var imagePaths = new Dictionary<string, StringBuilder> { ["train"] = new(), ["valid"] = new() };
        var labelled = new Dictionary<string, StringBuilder> { ["train"] = new(), ["valid"] = new() };
        var hardCases = new JsonArray();
        var images = 0;
        foreach (var chunk in plan.Chunk(Chunk))
        {
            var ids = chunk.Select(p => p.Study.Id).ToList();
            var views = await (from v in db.Views.AsNoTracking().Where(v => ids.Contains(v.StudyId))
                               join i in db.ViewImages.AsNoTracking() on v.Id equals i.ViewId
                               select new { v.StudyId, v.CreatedAt, v.SopInstanceUid, i.Png }).ToListAsync(ct);
            var byStudy = views.GroupBy(v => v.StudyId).ToDictionary(g => g.Key, g => g.OrderBy(v => v.CreatedAt).ThenBy(v => v.SopInstanceUid, StringComparer.Ordinal).ToList());
            foreach (var p in chunk)
            {
                if (!byStudy.TryGetValue(p.Study.Id, out var studyViews))
                {
                    Skip("no readable image (every view failed before a derivative was made)");
                    continue;
                }

                var number = previous.TryGetValue(p.Study.StudyInstanceUid, out var before) && before.Patient == p.Patient
                    ? before.StudyNumber
                    : numbers[p.Patient] = numbers.GetValueOrDefault(p.Patient) + 1;
                var label = p.Verdict.Abnormal ? "positive" : "negative";
                var studyFolder = $"{p.Split}/XR_{p.BodyPart}/patient{p.Patient}/study{number}_{label}/";
                Directory.CreateDirectory(Path.Combine(dir, studyFolder));
                for (var n = 0; n < studyViews.Count; n++)
                {
                    // Re-encoded from the pixels: the PNG carries IHDR, IDAT and IEND and nothing else (no text chunks, no times).
                    var png = Png.Encode(Png.DecodeGray(studyViews[n].Png));
                    var relative = $"{studyFolder}image{n + 1}.png";
                    await File.WriteAllBytesAsync(Path.Combine(dir, relative), png, ct);
                    files.Add((relative, Sha(png), png.Length));
                    imagePaths[p.Split].Append(relative).Append('\n');
                    images++;
                }

                labelled[p.Split].Append(studyFolder).Append(',').Append(p.Verdict.Abnormal ? '1' : '0').Append('\n');
                if (p.Study.Abnormal is { } call && call != p.Verdict.Abnormal)
                {
                    hardCases.Add(new JsonObject
                    {
                        ["study"] = studyFolder,
                        ["kind"] = call ? "false_positive" : "false_negative",
                        ["score"] = p.Study.Score,
                        ["model_sha256"] = p.Study.ModelSha256,
                        ["model_active"] = models.Any(m => m.Sha256 == p.Study.ModelSha256 && m.Active),
                    });
                }

                rows.Add(new ExportedStudy { StudyInstanceUid = p.Study.StudyInstanceUid, Patient = p.Patient, StudyNumber = number, Split = p.Split, BodyPart = p.BodyPart, Abnormal = p.Verdict.Abnormal, LastRunId = run.Id, LastVerdictId = p.Verdict.Id });
            }
        }

        foreach (var split in new[] { "train", "valid" })
        {
            files.Add(await WriteTextAsync(dir, $"{split}_image_paths.csv", imagePaths[split].ToString(), ct));
            files.Add(await WriteTextAsync(dir, $"{split}_labeled_studies.csv", labelled[split].ToString(), ct));
        }

        var manifest = Manifest(run, from, to, validPercent, rows, plan.ToDictionary(p => p.Study.StudyInstanceUid, p => p.Study.ModelSha256, StringComparer.Ordinal), models.Select(m => (m.Sha256, m.Name, m.Active)).ToList(), hardCases, skipped, images, files);
        await File.WriteAllTextAsync(Path.Combine(dir, "manifest.json"), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", ct);
        return new Written(rows, images, skipped.Values.Sum(), to);
    }

    private JsonObject Manifest(
        ExportRun run, long from, long to, int validPercent, List<ExportedStudy> rows, Dictionary<string, string?> scoredBy,
        List<(string Sha256, string Name, bool Active)> models, JsonArray hardCases, SortedDictionary<string, int> skipped, int images, List<(string Path, string Sha256, long Bytes)> files)
    {
        var counts = new JsonObject();
        foreach (var split in new[] { "train", "valid" })
        {
            var bySplit = new JsonObject();
            foreach (var part in StudyTypes.All)
            {
                var here = rows.Where(r => r.Split == split && r.BodyPart == part).ToList();
                bySplit[$"XR_{part}"] = new JsonObject { ["positive"] = here.Count(r => r.Abnormal), ["negative"] = here.Count(r => !r.Abnormal) };
            }

            counts[split] = bySplit;
        }

        var used = rows.Select(r => scoredBy.GetValueOrDefault(r.StudyInstanceUid)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var modelList = new JsonArray();
        foreach (var m in models.Where(m => m.Active || used.Contains(m.Sha256)).OrderBy(m => m.Sha256, StringComparer.Ordinal))
        {
            modelList.Add(new JsonObject { ["sha256"] = m.Sha256, ["name"] = m.Name, ["active"] = m.Active, ["studies_scored"] = rows.Count(r => scoredBy.GetValueOrDefault(r.StudyInstanceUid) == m.Sha256) });
        }

        var skippedList = new JsonArray();
        foreach (var (reason, n) in skipped)
        {
            skippedList.Add(new JsonObject { ["reason"] = reason, ["studies"] = n });
        }

        var fileList = new JsonArray();
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            fileList.Add(new JsonObject { ["path"] = f.Path, ["sha256"] = f.Sha256, ["bytes"] = f.Bytes });
        }

        return new JsonObject
        {
            ["format"] = Format,
            ["run"] = run.Id,
            ["trigger"] = run.Trigger,
            ["created_utc"] = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["watermark"] = new JsonObject { ["from_verdict"] = from, ["to_verdict"] = to },
            ["split"] = new JsonObject { ["valid_percent"] = validPercent, ["unit"] = "patient (keyed hash): no patient is in both splits" },
            ["studies"] = rows.Count,
            ["patients"] = rows.Select(r => r.Patient).Distinct(StringComparer.Ordinal).Count(),
            ["images"] = images,
            ["counts"] = counts,
            ["model_versions"] = modelList,
            ["hard_cases"] = hardCases,
            ["skipped"] = skippedList,
            ["files"] = fileList,
        };
    }

    private static async Task<(string, string, long)> WriteTextAsync(string dir, string name, string text, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await File.WriteAllBytesAsync(Path.Combine(dir, name), bytes, ct);
        return (name, Sha(bytes), bytes.Length);
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<ExportRun> StartRunAsync(string trigger, string instance, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var now = clock.GetUtcNow();

        // We hold the lock, so a run still marked running was cut off (its process died): say so.
        await db.ExportRuns.Where(r => r.Status == ExportRunStatus.Running).ExecuteUpdateAsync(
            s => s.SetProperty(r => r.Status, ExportRunStatus.Failed).SetProperty(r => r.EndedAt, now).SetProperty(r => r.Error, "abandoned: the process running it ended before it finished"), ct);
        var from = await db.ExportRuns.Where(r => r.Status == ExportRunStatus.Succeeded).MaxAsync(r => r.ToWatermark, ct) ?? 0;
        var run = new ExportRun { Trigger = trigger, Instance = instance, Status = ExportRunStatus.Running, StartedAt = now, FromWatermark = from };
        db.ExportRuns.Add(run);
        await db.SaveChangesAsync(ct);
        return run;
    }

    private async Task<long> RecordSkippedAsync(string trigger, string instance, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var now = clock.GetUtcNow();
        var run = new ExportRun { Trigger = trigger, Instance = instance, Status = ExportRunStatus.Skipped, StartedAt = now, EndedAt = now, Error = "another export was running" };
        db.ExportRuns.Add(run);
        await db.SaveChangesAsync(ct);
        return run.Id;
    }

    private async Task CompleteAsync(long runId, Written written, string? folder, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(token);
            var uids = written.Studies.Select(s => s.StudyInstanceUid).ToList();
            foreach (var chunk in uids.Chunk(500))
            {
                await db.ExportedStudies.Where(e => chunk.Contains(e.StudyInstanceUid)).ExecuteDeleteAsync(token);
            }

            db.ExportedStudies.AddRange(written.Studies);
            await db.SaveChangesAsync(token);
            await db.ExportRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, ExportRunStatus.Succeeded)
                    .SetProperty(r => r.EndedAt, clock.GetUtcNow())
                    .SetProperty(r => r.ToWatermark, written.ToWatermark)
                    .SetProperty(r => r.Studies, written.Studies.Count)
                    .SetProperty(r => r.Images, written.Images)
                    .SetProperty(r => r.Skipped, written.Skipped)
                    .SetProperty(r => r.Folder, folder),
                token);
            await tx.CommitAsync(token);
        }, ct);
    }

    private async Task RecordFailureAsync(long runId, string error)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await db.ExportRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, ExportRunStatus.Failed).SetProperty(r => r.EndedAt, clock.GetUtcNow()).SetProperty(r => r.Error, error.Length > 4000 ? error[..4000] : error),
                timeout.Token);
        }
        catch (Exception ex)
        {
            // The database is gone too: the run stays "running" until the next run marks it abandoned.
            LogNotRecorded(logger, ex, runId);
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // The next run deletes leftover .partial-* folders before it writes.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Export run {RunId}: {Studies} studies, {Images} images ({Skipped} skipped) in {Folder}")]
    private static partial void LogExported(ILogger logger, long runId, int studies, int images, int skipped, string folder);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Export run {RunId}: no study has new ground truth ({Skipped} skipped); no folder written")]
    private static partial void LogNothingNew(ILogger logger, long runId, int skipped);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Export run {RunId} failed, nothing was written; the next trigger retries: {Error}")]
    private static partial void LogFailed(ILogger logger, Exception ex, long runId, string error);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Export not started: another export holds the export lock (recorded as run {RunId}, skipped)")]
    private static partial void LogLocked(ILogger logger, long runId);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "Export run {RunId}: the failure could not be recorded (is the database down?); the next run marks it abandoned")]
    private static partial void LogNotRecorded(ILogger logger, Exception ex, long runId);
}
