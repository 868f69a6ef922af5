using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>What became of one file from the watched folder.</summary>
public enum FileOutcome
{
    Registered,
    Duplicate,
    Failed,
}

/// <summary>
/// Takes one file from the watched folder: registers its study and view (idempotent on SOP Instance UID), keeps its
/// derivative, and only then moves the file to the archive (or, when it cannot be ingested, to the failed folder with a
/// reason). A crash at any point leaves either the file in the folder (taken again, converging on the same rows) or
/// rows whose file is already archived; a file is never deleted.
/// </summary>
public sealed partial class FolderIngest(StudyStore store, IOptions<IngestOptions> options, IOptions<ScoringOptions> scoring, ILogger<FolderIngest> logger)
{
    private readonly IngestOptions _options = options.Value;
    private readonly Dictionary<string, double> _thresholds = scoring.Value.Thresholds;

    public async Task<FileOutcome> TakeAsync(string path, CancellationToken ct)
    {
        var watch = Path.GetFullPath(_options.WatchDir!);
        var relative = Path.GetRelativePath(watch, path);
        var file = InputFile.Inspect(path);
        var archived = Path.Combine(_options.ResolvedArchiveDir, relative);

        var study = await store.GetOrCreateStudyAsync(file.StudyInstanceUid, file.Source, file.BodyPart, file.PatientId, ct);
        var (view, created) = await store.AddViewAsync(study, file.SopInstanceUid, file.Error is null ? archived : Path.Combine(_options.ResolvedFailedDir, relative), file.ViewPosition, ct);
        if (file.Error is not null)
        {
            await store.FailViewAsync(view.Id, file.Error, null, _thresholds, ct);
            return Fail(path, relative, file.Error);
        }

        if (!created && view.State == ViewState.Failed && await store.RetryFailedViewAsync(view.Id, ct))
        {
            // A good copy of an instance that failed before: try it again.
            view.State = ViewState.Received;
        }

        if (!created && view.State != ViewState.Received)
        {
            // The same instance again (a PACS resend): the first copy is already in the archive.
            LogDuplicate(logger, path, file.SopInstanceUid);
            MoveUnique(path, Path.Combine(_options.ResolvedArchiveDir, ".duplicates", relative));
            return FileOutcome.Duplicate;
        }

        Data.Derivative derivative;
        try
        {
            derivative = Derivatives.MakeStored(file);
        }
        catch (Exception ex) when (ex is DicomException or DicomTruncatedException or PngException or IOException or ArgumentException or NotSupportedException)
        {
            await store.FailViewAsync(view.Id, ex.Message, null, _thresholds, ct);
            return Fail(path, relative, ex.Message);
        }

        await store.StoreDerivativeAsync(view.Id, derivative, ct);
        MoveUnique(path, created ? archived : view.SourcePath);
        LogRegistered(logger, path, file.StudyInstanceUid, file.SopInstanceUid);
        return FileOutcome.Registered;
    }

    private FileOutcome Fail(string path, string relative, string reason)
    {
        LogFailed(logger, path, reason);
        var target = MoveUnique(path, Path.Combine(_options.ResolvedFailedDir, relative));
        File.WriteAllText(target + ".reason.txt", reason + Environment.NewLine);
        return FileOutcome.Failed;
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

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Input {Path} failed and was moved to the failed folder: {Reason}")]
    private static partial void LogFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Input {Path} repeats instance {SopInstanceUid}, already ingested; moved to the archive's .duplicates")]
    private static partial void LogDuplicate(ILogger logger, string path, string sopInstanceUid);
}
