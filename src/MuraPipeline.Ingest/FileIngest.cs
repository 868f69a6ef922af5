using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>
/// The ingest stage for one file, the same for the watched folder and for `mura screen`: registers its study and
/// view (idempotent on SOP Instance UID), keeps its derivative, and only then disposes of the file. A file that cannot
/// be read fails its view with the reason (completing the study if it was the last view). A crash at any point leaves
/// either the file where it was (taken again, converging on the same rows) or rows whose file is already archived; a
/// file is never deleted.
/// </summary>
public sealed partial class FileIngest(StudyStore store, RegistrationWriter writer, IPublishEndpoint publisher, IOptions<IngestOptions> options, StudyTypeResolver types, ILogger<FileIngest> logger)
{
    private readonly IngestOptions _options = options.Value;

    /// <summary>
    /// Takes one file. With <paramref name="cores"/>, its reading and decoding wait for one of them, and the wait for its
    /// rows to be committed does not hold one: while the writer commits a group, the next group is being decoded.
    /// </summary>
    public async Task<IngestedFile> TakeAsync(string path, FileDisposition disposition, CancellationToken ct, SemaphoreSlim? cores = null)
    {
        if (cores is not null)
        {
            await cores.WaitAsync(ct);
        }

        FileRead read;
        try
        {
            read = await ReadAsync(path, ct);
        }
        finally
        {
            cores?.Release();
        }

        return await RegisterAsync(path, disposition, read, ct);
    }

    /// <summary>The file's header and derivative (or why it has none), or the study it is already filed under with its derivative.</summary>
    private async Task<FileRead> ReadAsync(string path, CancellationToken ct)
    {
        var file = InputFile.Inspect(path, types);
        Derivative? derivative = null;
        var error = file.Error;
        var errorKind = "unreadable";
        if (error is null)
        {
            if (await store.DerivedInstanceStudyAsync(file.SopInstanceUid, ct) is { } knownStudy)
            {
                return new FileRead(file, null, null, errorKind, knownStudy);
            }

            try
            {
                derivative = Derivatives.MakeStored(file);
            }
            catch (Exception ex) when (ex is DicomException or DicomTruncatedException or PngException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                // A bad copy never fails a view another copy of the same instance has already given a derivative.
                error = ex.Message;
                errorKind = ex switch
                {
                    DicomTruncatedException => "truncated",
                    DicomException => "dicom",
                    PngException => "png",
                    UnauthorizedAccessException => "permission",
                    IOException => "io",
                    NotSupportedException => "unsupported",
                    _ => "invalid",
                };
            }
        }

        return new FileRead(file, derivative, error, errorKind, null);
    }

    private async Task<IngestedFile> RegisterAsync(string path, FileDisposition disposition, FileRead read, CancellationToken ct)
    {
        var (file, derivative, error, errorKind, known) = read;
        var archive = disposition == FileDisposition.Archive;
        var relative = archive ? Path.GetRelativePath(Path.GetFullPath(_options.WatchDir!), path) : null;
        if (known is { } knownStudy)
        {
            return Duplicate(path, relative, file.SopInstanceUid, knownStudy);
        }

        var keptAt = archive ? Path.Combine(_options.ResolvedArchiveDir, relative!) : path;
        var failedAt = archive ? Path.Combine(_options.ResolvedFailedDir, relative!) : path;
        var instance = new InstanceFile(file.StudyInstanceUid, file.Source, file.BodyPart, file.PatientId, file.SopInstanceUid, file.ViewPosition, keptAt, failedAt, file.BodyPartSource, file.OutOfScope);

        // The study, the view and the derivative (or the reason) in the writer's next transaction; this file's pixels make
        // it the view's source, and a bad copy that failed the view meanwhile (files are taken in parallel) is overruled.
        var registered = await writer.RegisterAsync(instance, derivative, error, ct);
        if (registered.Completed is { } completed)
        {
            await Publishing.StudyCompletedAsync(publisher, completed, ct);
        }

        switch (registered.Outcome)
        {
            case RegistrationOutcome.Failed:
                MuraMetrics.FilesFailed.WithLabels(errorKind).Inc();
                MuraMetrics.ViewsFailed.WithLabels("ingest").Inc();
                return Fail(path, relative, disposition, registered.StudyId, error!);
            case RegistrationOutcome.Duplicate:
                return Duplicate(path, relative, file.SopInstanceUid, registered.StudyId);
        }

        if (archive)
        {
            MoveUnique(path, keptAt);
        }

        MuraMetrics.FilesIngested.WithLabels(file.Source).Inc();
        LogRegistered(logger, path, file.StudyInstanceUid, file.SopInstanceUid);
        return new IngestedFile(path, FileOutcome.Registered, registered.StudyId, null);
    }

    /// <summary>What reading a file gave: its header, its derivative or why it has none, or the study already holding it.</summary>
    private sealed record FileRead(InputFile File, Derivative? Derivative, string? Error, string ErrorKind, Guid? Known);

    /// <summary>The same instance again (a PACS resend, a second copy in a tree, a re-run): the first copy is kept.</summary>
    private IngestedFile Duplicate(string path, string? relative, string sopInstanceUid, Guid studyId)
    {
        LogDuplicate(logger, path, sopInstanceUid);
        if (relative is not null)
        {
            MoveUnique(path, Path.Combine(_options.ResolvedArchiveDir, ".duplicates", relative));
        }

        return new IngestedFile(path, FileOutcome.Duplicate, studyId, null);
    }

    /// <summary>Files in hand per decoding core: the others wait for the writer's commit, which is what lets it commit them together.</summary>
    private const int FilesPerCore = 8;

    /// <summary>
    /// Takes many files at once, each in its own scope (one database context per file): <see cref="IngestOptions.Parallelism"/>
    /// of them read and decode at a time, and more wait for the writer, so its groups grow with the cores that feed it.
    /// The watched folder takes each scan this way, `screen` its whole input; <paramref name="taken"/> hears of each file
    /// (its index and outcome) as soon as its rows are committed.
    /// </summary>
    public static async Task<IReadOnlyList<IngestedFile>> TakeAllAsync(IServiceScopeFactory scopes, IReadOnlyList<string> files, FileDisposition disposition, int parallelism, CancellationToken ct, Action<int, IngestedFile>? taken = null)
    {
        var results = new IngestedFile[files.Count];
        using var cores = new SemaphoreSlim(parallelism, parallelism);
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism * FilesPerCore, CancellationToken = ct }, async (i, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            results[i] = await scope.ServiceProvider.GetRequiredService<FileIngest>().TakeAsync(files[i], disposition, token, cores);
            taken?.Invoke(i, results[i]);
        });
        return results;
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

    /// <summary>
    /// An operator asked for failed views to be read again (the failures page): each one's file goes from the failed
    /// folder back to its place in the watched folder, its reason file is removed, and the next scan takes it like any
    /// new file (a file that now reads revives its view; one that still does not fails it again with the new reason).
    /// A file no longer there leaves the view failed with a reason that says so.
    /// </summary>
    public async Task<int> ReturnFilesToReadAgainAsync(CancellationToken ct)
    {
        var returned = 0;
        foreach (var (viewId, source) in await store.TakeReadAgainRequestsAsync(100, ct))
        {
            var failedDir = _options.ResolvedFailedDir;
            var inFailed = failedDir.Length > 0 && Path.GetFullPath(source).StartsWith(Path.TrimEndingDirectorySeparator(failedDir) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            if (!inFailed || !File.Exists(source))
            {
                await store.SetFailureReasonAsync(viewId, $"asked to read the file again, but it is not in the failed folder ({source}): give the instance again", ct);
                continue;
            }

            MoveUnique(source, Path.Combine(Path.GetFullPath(_options.WatchDir!), Path.GetRelativePath(failedDir, source)));
            File.Delete(source + ".reason.txt");
            LogReadAgain(logger, source);
            returned++;
        }

        return returned;
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

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Failed input {Path} goes back into the watched folder: an operator asked for it to be read again")]
    private static partial void LogReadAgain(ILogger logger, string path);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Input {Path} repeats instance {SopInstanceUid}, already ingested; the first copy is kept")]
    private static partial void LogDuplicate(ILogger logger, string path, string sopInstanceUid);
}
