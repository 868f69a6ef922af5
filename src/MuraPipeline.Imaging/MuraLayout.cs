using System.Globalization;
using System.Text.RegularExpressions;
using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging;

public static partial class MuraLayout
{
    public static string StudyFolder(string studyType, int patient, int study, bool positive) =>
        string.Create(CultureInfo.InvariantCulture, $"XR_{studyType}/patient{patient:00000}/study{study}_{(positive ? "positive" : "negative")}");

    public static string StudyUid(string studyKey) => DicomUid.FromName($"mura/{studyKey}");

    /// <summary>Parses the last four segments of a path; null when it is not a MURA-layout image path.</summary>
    public static MuraPath? TryParse(string path)
    {
        var slash = path.Replace('\\', '/').TrimEnd('/');
        var cut = slash.LastIndexOf('/');
        var file = slash[(cut + 1)..];
        if (cut < 0 || !file.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || TryParseStudyFolder(slash[..cut]) is not { } folder)
        {
            return null;
        }

        return new MuraPath(folder.StudyKey, folder.StudyType, folder.Patient, folder.Positive, file);
    }

    /// <summary>
    /// Parses a study folder's path (its last three segments <c>XR_PART/patientN/studyK[_positive|_negative]</c>, a
    /// trailing slash allowed, any prefix before them ignored); null when it is not one.
    /// </summary>
    public static MuraStudyFolder? TryParseStudyFolder(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3)
        {
            return null;
        }

        var type = parts[^3];
        var patient = parts[^2];
        var study = parts[^1];
        if (!type.StartsWith("XR_", StringComparison.OrdinalIgnoreCase) || type.Length < 4 || !PatientPattern().IsMatch(patient))
        {
            return null;
        }

        var m = StudyPattern().Match(study);
        if (!m.Success)
        {
            return null;
        }

        bool? positive = m.Groups[2].Value.ToLowerInvariant() switch { "positive" => true, "negative" => false, _ => null };
        return new MuraStudyFolder($"{type.ToUpperInvariant()}/{patient}/{study}", type[3..].ToUpperInvariant(), patient, positive);
    }

    [GeneratedRegex("^patient[0-9]+$", RegexOptions.IgnoreCase)]
    private static partial Regex PatientPattern();

    [GeneratedRegex("^study([0-9]+)(?:_(positive|negative))?$", RegexOptions.IgnoreCase)]
    private static partial Regex StudyPattern();
}
