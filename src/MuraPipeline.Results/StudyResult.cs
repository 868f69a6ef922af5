using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using MuraPipeline.Dicom;

namespace MuraPipeline.Results;

/// <summary>One scored view, with what its source instance says and its picture.</summary>
public sealed record ViewResult(
    string SopInstanceUid,
    string SopClassUid,
    string SeriesInstanceUid,
    double Probability,
    string? PredictedBodyPart,
    byte[] DerivativePng,
    byte[]? CamGrid,
    int CamWidth,
    int CamHeight,
    string? Laterality = null);

/// <summary>
/// A scored study, ready to be written as DICOM: the source's patient and study attributes (copied element by element,
/// character set included), the study score and threshold, and the scored views.
/// </summary>
public sealed record StudyResult(
    string StudyInstanceUid,
    DicomDataset Source,
    string? BodyPart,
    double Score,
    double Threshold,
    string ModelSha256,
    string ModelName,
    DateTimeOffset ScoredAt,
    IReadOnlyList<ViewResult> Views)
{
    public bool Abnormal => Score >= Threshold;
}

/// <summary>Which views get a heatmap Secondary Capture.</summary>
public enum CapturePolicy
{
    Every,
    Abnormal,
    None,
}

/// <summary>The "Results" settings that shape the objects.</summary>
public sealed class ResultOptions
{
    public const string Section = "Results";

    /// <summary>The UID root our new UIDs go under (an organisation's registered root); empty: the 2.25 UUID-derived form.</summary>
    public string UidRoot { get; set; } = string.Empty;

    /// <summary>Secondary Captures for every scored view, only views at or above the threshold, or none.</summary>
    public CapturePolicy Captures { get; set; } = CapturePolicy.Every;

    /// <summary>The long side of a Secondary Capture, in pixels.</summary>
    public int CaptureSize { get; set; } = 1024;

    /// <summary>The institution named as contributing equipment.</summary>
    public string InstitutionName { get; set; } = string.Empty;
}

/// <summary>
/// New UIDs, derived from what they name (study, model version, object kind, view) so building the objects of a study
/// again gives the same UIDs: a resend is the same object, a re-score by another model a new one.
/// </summary>
public static class ResultUids
{
    public static string For(string root, params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        if (string.IsNullOrWhiteSpace(root))
        {
            // 2.25 followed by a 128-bit unsigned decimal (PS3.5 B.2): always at most 64 characters.
            return "2.25." + new BigInteger(hash.AsSpan(0, 16), isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var room = 64 - root.Length - 1;
        if (room < 10 || !DicomUids.IsValid(root))
        {
            throw new DicomException($"Results:UidRoot '{root}' is not a UID root that leaves room for our numbers (digits and dots, at most 54 characters)");
        }

        var digits = new BigInteger(hash, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
        digits = digits[..Math.Min(room, digits.Length)].TrimStart('0');
        return $"{root}.{(digits.Length == 0 ? "1" : digits)}";
    }
}
