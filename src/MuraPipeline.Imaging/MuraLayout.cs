using System.Globalization;
using System.Text.RegularExpressions;
using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging;

/// <summary>A view's place in a MURA-layout tree: <c>…/XR_WRIST/patient11185/study1_positive/image1.png</c>.</summary>
public sealed record MuraPath(string StudyKey, string StudyType, string Patient, bool? Positive, string FileName)
{
    /// <summary>A stable UID for the study folder, the same wherever the tree is mounted.</summary>
    public string StudyInstanceUid => MuraLayout.StudyUid(StudyKey);

    public string SopInstanceUid => DicomUid.FromName($"mura/{StudyKey}/{FileName}");
}

public static partial class MuraLayout
{
    public static string StudyFolder(string studyType, int patient, int study, bool positive) =>
        string.Create(CultureInfo.InvariantCulture, $"XR_{studyType}/patient{patient:00000}/study{study}_{(positive ? "positive" : "negative")}");

    public static string StudyUid(string studyKey) => DicomUid.FromName($"mura/{studyKey}");

    /// <summary>Parses the last four segments of a path; null when it is not a MURA-layout image path.</summary>
    public static MuraPath? TryParse(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4)
        {
            return null;
        }

        var type = parts[^4];
        var patient = parts[^3];
        var study = parts[^2];
        var file = parts[^1];
        if (!type.StartsWith("XR_", StringComparison.OrdinalIgnoreCase) || !PatientPattern().IsMatch(patient) || !file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var m = StudyPattern().Match(study);
        if (!m.Success)
        {
            return null;
        }

        bool? positive = m.Groups[2].Value.ToLowerInvariant() switch { "positive" => true, "negative" => false, _ => null };
        return new MuraPath($"{type.ToUpperInvariant()}/{patient}/{study}", type[3..].ToUpperInvariant(), patient, positive, file);
    }

    [GeneratedRegex("^patient[0-9]+$", RegexOptions.IgnoreCase)]
    private static partial Regex PatientPattern();

    [GeneratedRegex("^study([0-9]+)(?:_(positive|negative))?$", RegexOptions.IgnoreCase)]
    private static partial Regex StudyPattern();
}
