using MuraPipeline.Contracts;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>What ingest learned of one file before reading its pixels: the keys it is filed under, or why it cannot be.</summary>
public sealed record InputFile(
    string Path,
    string Source,
    string StudyInstanceUid,
    string SopInstanceUid,
    string? BodyPart,
    string? PatientId,
    string? ViewPosition,
    string? Error,
    string? BodyPartSource = null,
    string? OutOfScope = null)
{
    /// <summary>The source of a MURA tree's study type: its XR_PART folder.</summary>
    public const string Folder = StudyTypeCall.Folder;

    /// <summary>Files that are never images: reports, labels, notes. They are skipped, not failed.</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase) { ".csv", ".txt", ".json", ".html", ".htm", ".md", ".db", ".db-wal", ".db-shm", ".npy", ".npz", ".log" };

    /// <summary>Files an operating system leaves in folders it shows (Windows' thumbnail cache and folder settings).</summary>
    private static readonly HashSet<string> OsLitter = new(StringComparer.OrdinalIgnoreCase) { "Thumbs.db", "ehthumbs.db", "desktop.ini" };

    /// <summary>
    /// Hidden files and folders (a name starting with '.', such as macOS's .DS_Store and ._ resource forks), macOS's
    /// __MACOSX archive folder, Thumbs.db and desktop.ini: never a study. <paramref name="relative"/> is the path
    /// below the input root, so a root that is itself under a hidden folder still counts.
    /// </summary>
    public static bool IsLitter(string relative)
    {
        var parts = relative.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Any(p => p.StartsWith('.') || p.Equals("__MACOSX", StringComparison.OrdinalIgnoreCase)) || (parts.Length > 0 && OsLitter.Contains(parts[^1]));
    }

    /// <summary>False for files that are never images (reports, labels, notes, databases).</summary>
    public static bool IsCandidate(string path) => !Ignored.Contains(System.IO.Path.GetExtension(path));

    /// <summary>
    /// Every file under the paths (folders recursively), in a stable order; OS litter and reports are left out and
    /// counted. A path that does not exist is an error.
    /// </summary>
    public static InputListing Enumerate(IEnumerable<string> paths)
    {
        var files = new List<string>();
        int litter = 0, other = 0;
        foreach (var p in paths)
        {
            if (File.Exists(p))
            {
                files.Add(System.IO.Path.GetFullPath(p));
            }
            else if (Directory.Exists(p))
            {
                foreach (var f in Directory.EnumerateFiles(p, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
                {
                    if (IsLitter(System.IO.Path.GetRelativePath(p, f)))
                    {
                        litter++;
                    }
                    else if (!IsCandidate(f))
                    {
                        other++;
                    }
                    else
                    {
                        files.Add(System.IO.Path.GetFullPath(f));
                    }
                }
            }
            else
            {
                throw new FileNotFoundException($"input path {p} does not exist", p);
            }
        }

        return new InputListing(files.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), litter, other);
    }

    /// <summary>Classifies a file. Never throws for bad content: a file that cannot be filed gets its own study keyed by its path, and an error.</summary>
    /// <remarks>A DICOM file's study type comes from <paramref name="types"/> (Body Part Examined, then the procedure and description attributes; a part outside the seven or a modality that is not radiography makes it out of scope); a MURA tree's from its folder.</remarks>
    public static InputFile Inspect(string path, StudyTypeResolver types)
    {
        if (MuraLayout.TryParse(path) is { } mura)
        {
            return new InputFile(path, "mura", mura.StudyInstanceUid, mura.SopInstanceUid, StudyTypes.Normalise(mura.StudyType), mura.Patient, null, null, Folder);
        }

        if (MuraLayout.TryParseStudyFolder(System.IO.Path.GetDirectoryName(path) ?? string.Empty) is { } folder)
        {
            // Inside a MURA study folder, a file that is no PNG image is a view of that study that cannot be read.
            var name = System.IO.Path.GetFileName(path);
            return new InputFile(path, "mura", folder.StudyInstanceUid, DicomUid.FromName($"mura/{folder.StudyKey}/{name}"), StudyTypes.Normalise(folder.StudyType), folder.Patient, null, $"{name} is not a PNG image (a MURA study folder holds imageN.png files)", Folder);
        }

        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            return Unfiled(path, "PNG is not in a MURA-layout tree (expected …/XR_<PART>/patient<N>/study<K>_<positive|negative>/image<M>.png)");
        }

        try
        {
            var ds = DicomFile.OpenHeader(path).Dataset;
            var study = ds.GetString(DicomTag.StudyInstanceUid);
            var sop = ds.GetString(DicomTag.SopInstanceUid);
            if (string.IsNullOrEmpty(study) || string.IsNullOrEmpty(sop))
            {
                return Unfiled(path, $"DICOM file has no {(string.IsNullOrEmpty(study) ? "Study" : "SOP")} Instance UID");
            }

            var type = types.Resolve(ds.GetString(DicomTag.BodyPartExamined), ds.GetString(DicomTag.Modality),
                ds.GetString(DicomTag.RequestedProcedureDescription), ds.GetString(DicomTag.StudyDescription), ds.GetString(DicomTag.SeriesDescription), ds.GetString(DicomTag.ProtocolName));
            return new InputFile(path, "dicom", study, sop, type.Type, ds.GetString(DicomTag.PatientId), ds.GetString(DicomTag.ViewPosition), null, type.Source, type.OutOfScope);
        }
        catch (Exception ex) when (ex is DicomException or DicomTruncatedException or IOException or UnauthorizedAccessException)
        {
            return Unfiled(path, ex.Message);
        }
    }

    /// <summary>A file with no study to be filed under: it gets a stand-in study of its own (never reported as a study) and its reason.</summary>
    private static InputFile Unfiled(string path, string error)
    {
        var key = DicomUid.FromName($"file/{path}");
        return new InputFile(path, Data.ResultRows.UnfiledSource, key, key, null, null, null, error);
    }
}
