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
    string? Error)
{
    /// <summary>Files that are never images: reports, labels, notes. They are skipped, not failed.</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase) { ".csv", ".txt", ".json", ".html", ".htm", ".md", ".db", ".db-wal", ".db-shm", ".npy", ".npz", ".log" };

    /// <summary>False for files that are never images (reports, labels, notes, databases).</summary>
    public static bool IsCandidate(string path) => !Ignored.Contains(System.IO.Path.GetExtension(path));

    /// <summary>Every file under the paths (folders recursively), in a stable order, reports and notes left out.</summary>
    public static IReadOnlyList<string> Enumerate(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (File.Exists(p))
            {
                files.Add(System.IO.Path.GetFullPath(p));
            }
            else if (Directory.Exists(p))
            {
                files.AddRange(Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories)
                    .Where(IsCandidate)
                    .Select(System.IO.Path.GetFullPath));
            }
            else
            {
                throw new FileNotFoundException($"input path {p} does not exist", p);
            }
        }

        return files.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Classifies a file. Never throws for bad content: a file that cannot be filed gets its own study keyed by its path, and an error.</summary>
    public static InputFile Inspect(string path)
    {
        if (MuraLayout.TryParse(path) is { } mura)
        {
            return new InputFile(path, "mura", mura.StudyInstanceUid, mura.SopInstanceUid, StudyTypes.Normalise(mura.StudyType), mura.Patient, null, null);
        }

        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            return Unfiled(path, "mura", "PNG is not in a MURA-layout tree (expected …/XR_<PART>/patient<N>/study<K>_<positive|negative>/image<M>.png)");
        }

        try
        {
            var ds = DicomFile.OpenHeader(path).Dataset;
            var study = ds.GetString(DicomTag.StudyInstanceUid);
            var sop = ds.GetString(DicomTag.SopInstanceUid);
            if (string.IsNullOrEmpty(study) || string.IsNullOrEmpty(sop))
            {
                return Unfiled(path, "dicom", $"DICOM file has no {(string.IsNullOrEmpty(study) ? "Study" : "SOP")} Instance UID");
            }

            return new InputFile(path, "dicom", study, sop, StudyTypes.Normalise(ds.GetString(DicomTag.BodyPartExamined)), ds.GetString(DicomTag.PatientId), ds.GetString(DicomTag.ViewPosition), null);
        }
        catch (Exception ex) when (ex is DicomException or DicomTruncatedException or IOException or UnauthorizedAccessException)
        {
            return Unfiled(path, "dicom", ex.Message);
        }
    }

    private static InputFile Unfiled(string path, string source, string error)
    {
        var key = DicomUid.FromName($"file/{path}");
        return new InputFile(path, source, key, key, null, null, null, error);
    }
}
