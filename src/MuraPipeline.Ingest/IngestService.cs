using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>A study registered by one ingest pass and the views of it that still need a derivative and a message.</summary>
public sealed record StudyWork(Guid StudyId, string StudyInstanceUid, string? BodyPart, IReadOnlyList<(Guid ViewId, InputFile File)> Pending);

/// <summary>
/// Ingest for a known set of inputs (the embedded `screen` run): register every file first, so each study's view
/// count is final before any of its views is scored, then derive and queue study by study.
/// Re-running on the same inputs re-sends nothing already scored; a view that failed before is tried again.
/// </summary>
public sealed partial class IngestService(IServiceScopeFactory scopes, IPublishEndpoint publisher, ILogger<IngestService> logger)
{
    /// <summary>Registers every file; returns the studies touched, failed files already marked failed with their reason.</summary>
    public async Task<IReadOnlyList<StudyWork>> RegisterAsync(IReadOnlyList<string> files, IReadOnlyDictionary<string, double>? thresholds, CancellationToken ct)
    {
        var inspected = new InputFile[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { CancellationToken = ct }, i => inspected[i] = InputFile.Inspect(files[i]));

        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<StudyStore>();
        var work = new Dictionary<Guid, (Study Study, List<(Guid, InputFile)> Pending)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in inspected)
        {
            // A second file with a SOP Instance UID already seen in this pass is a copy of that instance: the first one wins.
            if (!seen.Add(f.SopInstanceUid))
            {
                LogDuplicate(logger, f.Path, f.SopInstanceUid);
                continue;
            }

            var study = await store.GetOrCreateStudyAsync(f.StudyInstanceUid, f.Source, f.BodyPart, f.PatientId, ct);
            var (view, _) = await store.AddViewAsync(study, f.SopInstanceUid, f.Path, f.ViewPosition, ct);
            if (!work.TryGetValue(study.Id, out var entry))
            {
                entry = (study, []);
                work[study.Id] = entry;
            }

            if (f.Error is not null)
            {
                LogFileFailed(logger, f.Path, f.Error);
                if (view.State == ViewState.Failed)
                {
                    continue;
                }

                await store.FailViewAsync(view.Id, f.Error, null, thresholds, ct);
                continue;
            }

            if (view.State == ViewState.Failed && await store.RetryFailedViewAsync(view.Id, ct))
            {
                entry.Pending.Add((view.Id, f));
            }
            else if (view.State is ViewState.Received or ViewState.Queued)
            {
                entry.Pending.Add((view.Id, f));
            }
        }

        return work.Values.Select(w => new StudyWork(w.Study.Id, w.Study.StudyInstanceUid, w.Study.BodyPart, w.Pending)).ToList();
    }

    /// <summary>Makes each pending view's derivative and queues it; a view whose file cannot be decoded fails with the reason.</summary>
    public async Task QueueAsync(StudyWork study, IReadOnlyDictionary<string, double>? thresholds, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<StudyStore>();
        foreach (var (viewId, file) in study.Pending)
        {
            Data.Derivative derivative;
            try
            {
                derivative = Derivatives.MakeStored(file);
            }
            catch (Exception ex) when (ex is DicomException or PngException or IOException or ArgumentException)
            {
                LogFileFailed(logger, file.Path, ex.Message);
                await store.FailViewAsync(viewId, ex.Message, null, thresholds, ct);
                continue;
            }

            await store.MarkQueuedAsync(viewId, derivative, ct);
            await publisher.Publish(new ViewQueued(viewId, study.StudyId, study.StudyInstanceUid, file.SopInstanceUid, study.BodyPart, derivative.Png), ct);
        }

        await store.MarkStudyQueuedAsync(study.StudyId, ct);
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Input {Path} repeats SOP Instance UID {SopInstanceUid} of an earlier file; skipped")]
    private static partial void LogDuplicate(ILogger logger, string path, string sopInstanceUid);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Input {Path} failed: {Reason}")]
    private static partial void LogFileFailed(ILogger logger, string path, string reason);
}
