using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>What became of one file.</summary>
public enum FileOutcome
{
    Registered,
    Duplicate,
    Failed,
}

/// <summary>What happens to a file once its rows are committed.</summary>
public enum FileDisposition
{
    /// <summary>The watched folder: the file moves to the archive (or, when it cannot be ingested, to the failed folder with a reason).</summary>
    Archive,

    /// <summary>`mura screen`: the user's files stay where they are, untouched; the database and the reports say what became of them.</summary>
    LeaveInPlace,
}

/// <summary>One file's outcome and the study it was filed under.</summary>
public sealed record IngestedFile(string Path, FileOutcome Outcome, Guid StudyId, string? Reason);

/// <summary>
/// The ingest stage for one file, the same for the watched folder and for `mura screen`: registers its study and
/// view (idempotent on SOP Instance UID), keeps its derivative, and only then disposes of the file. A file that cannot
/// be read fails its view with the reason (completing the study if it was the last view). A crash at any point leaves
/// either the file where it was (taken again, converging on the same rows) or rows whose file is already archived; a
/// file is never deleted.
/// </summary>
public sealed partial class FileIngest(StudyStore store, IPublishEndpoint publisher, IOptions<IngestOptions> options, ILogger<FileIngest> logger)
{
    private readonly IngestOptions _options = options.Value;

    public async Task<IngestedFile> TakeAsync(string path, FileDisposition disposition, CancellationToken ct)
    {
        var archive = disposition == FileDisposition.Archive;
        var relative = archive ? Path.GetRelativePath(Path.GetFullPath(_options.WatchDir!), path) : null;
        var file = InputFile.Inspect(path);
        var keptAt = archive ? Path.Combine(_options.ResolvedArchiveDir, relative!) : path;
        var failedAt = archive ? Path.Combine(_options.ResolvedFailedDir, relative!) : path;

        var study = await store.GetOrCreateStudyAsync(file.StudyInstanceUid, file.Source, file.BodyPart, file.PatientId, ct);
        var (view, created) = await store.AddViewAsync(study, file.SopInstanceUid, file.Error is null ? keptAt : failedAt, file.ViewPosition, ct);
        if (file.Error is not null)
        {
            await FailAsync(view.Id, file.Error, ct);
            return Fail(path, relative, disposition, study.Id, file.Error);
        }

        if (!created && view.State == ViewState.Failed && await store.RetryFailedViewAsync(view.Id, ct))
        {
            // A good copy of an instance that failed before, or a re-run after a fix: try it again.
            view.State = ViewState.Received;
            view.Width = 0;
        }

        if (!created && (view.State != ViewState.Received || view.Width > 0))
        {
            // The same instance again (a PACS resend, a second copy in a tree, a re-run): the first copy is kept.
            LogDuplicate(logger, path, file.SopInstanceUid);
            if (archive)
            {
                MoveUnique(path, Path.Combine(_options.ResolvedArchiveDir, ".duplicates", relative!));
            }

            return new IngestedFile(path, FileOutcome.Duplicate, study.Id, null);
        }

        Derivative derivative;
        try
        {
            derivative = Derivatives.MakeStored(file);
        }
        catch (Exception ex) when (ex is DicomException or DicomTruncatedException or PngException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // A bad copy never fails a view another copy of the same instance has already given a derivative.
            await FailAsync(view.Id, ex.Message, ct, unlessDerived: true);
            return Fail(path, relative, disposition, study.Id, ex.Message);
        }

        // This file's pixels are the view's: it is the view's source, and a bad copy of the same instance that failed
        // the view meanwhile (files are taken in parallel) is overruled.
        await store.StoreDerivativeAsync(view.Id, derivative, ct, keptAt);
        if (await store.IsFailedAsync(view.Id, ct))
        {
            await store.RetryFailedViewAsync(view.Id, ct);
        }
        if (archive)
        {
            MoveUnique(path, keptAt);
        }

        LogRegistered(logger, path, file.StudyInstanceUid, file.SopInstanceUid);
        return new IngestedFile(path, FileOutcome.Registered, study.Id, null);
    }

    /// <summary>
    /// Takes many files at once, <see cref="IngestOptions.Parallelism"/> at a time, each in its own scope (one database
    /// context per file). The watched folder takes each scan this way, `screen` its whole input.
    /// </summary>
    public static async Task<IReadOnlyList<IngestedFile>> TakeAllAsync(IServiceScopeFactory scopes, IReadOnlyList<string> files, FileDisposition disposition, int parallelism, CancellationToken ct)
    {
        var results = new IngestedFile[files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (i, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            results[i] = await scope.ServiceProvider.GetRequiredService<FileIngest>().TakeAsync(files[i], disposition, token);
        });
        return results;
    }

    /// <summary>Fails a view with its reason; when that was the study's last view, tells every role the study is done.</summary>
    private async Task FailAsync(Guid viewId, string reason, CancellationToken ct, bool unlessDerived = false)
    {
        if (await store.FailViewAsync(viewId, reason, null, ct, unlessDerived) is { } completed)
        {
            await Publishing.StudyCompletedAsync(publisher, completed, ct);
        }
    }

    private IngestedFile Fail(string path, string? relative, FileDisposition disposition, Guid studyId, string reason)
    {
        LogFailed(logger, path, reason);
        if (disposition == FileDisposition.Archive)
        {
            var target = MoveUnique(path, Path.Combine(_options.ResolvedFailedDir, relative!));
            File.WriteAllText(target + ".reason.txt", reason + Environment.NewLine);
        }

        return new IngestedFile(path, FileOutcome.Failed, studyId, reason);
    }

    /// <summary>Moves a file, never over another: a name already taken gets a numeric suffix.</summary>
    private static string MoveUnique(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        var target = to;
        for (var n = 1; File.Exists(target); n++)
        {
            target = Path.Combine(Path.GetDirectoryName(to)!, $"{Path.GetFileNameWithoutExtension(to)}.{n}{Path.GetExtension(to)}");
        }

        File.Move(from, target);
        return target;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Registered {Path}: study {StudyInstanceUid}, instance {SopInstanceUid}")]
    private static partial void LogRegistered(ILogger logger, string path, string studyInstanceUid, string sopInstanceUid);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Input {Path} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Input {Path} repeats instance {SopInstanceUid}, already ingested; the first copy is kept")]
    private static partial void LogDuplicate(ILogger logger, string path, string sopInstanceUid);
}
