using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

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
/// character set included), the study score and threshold, and the scored views. <see cref="BodyPartSource"/> says
/// what named the study type (dicom, description, folder, model), as the study records it.
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
    IReadOnlyList<ViewResult> Views,
    bool Abnormal,
    string? BodyPartSource = null);

/// <summary>Which views get a heatmap Secondary Capture.</summary>
public enum CapturePolicy
{
    Every,
    Abnormal,
    None,
}

/// <summary>A PACS (or any storage SCP) results are sent to, under Results:Destinations:NAME.</summary>
public sealed class ResultDestination
{
    /// <summary>The destination's own (called) AE title.</summary>
    public string AeTitle { get; set; } = string.Empty;

    /// <summary>The destination's host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The destination's DICOM port.</summary>
    public int Port { get; set; } = 104;

    /// <summary>Send over TLS (Scp:Tls says whom we trust and which certificate we offer).</summary>
    public bool Tls { get; set; }
}

/// <summary>The "Results" settings: what the objects look like, where they go and when.</summary>
public sealed class ResultOptions
{
    public const string Section = "Results";

    /// <summary>Where each scored study's SR and heatmap captures are sent (C-STORE), each destination under a name of the operator's choosing. None: results are made and kept, not sent.</summary>
    public Dictionary<string, ResultDestination> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>"scored": results are made as soon as a study is scored; "verdict": only once a reader has recorded a verdict.</summary>
    public string SendOn { get; set; } = "scored";

    /// <summary>Our calling AE title towards the destinations.</summary>
    public string AeTitle { get; set; } = "MURA";

    /// <summary>How often the results role looks for new scored studies and for deliveries that are due.</summary>
    [System.ComponentModel.DataAnnotations.Range(50, 600_000)]
    public int ScanIntervalMs { get; set; } = 2000;

    /// <summary>The wait after a failed send, doubled per attempt up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public double RetryDelaySeconds { get; set; } = 10;

    /// <summary>The longest wait between two attempts to send one study's results.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public double MaxRetryDelaySeconds { get; set; } = 3600;

    /// <summary>Attempts per object and destination before it is left Failed (an operator can resend it).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int MaxAttempts { get; set; } = 50;

    /// <summary>How long a destination may stay silent inside an association.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 60;

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
