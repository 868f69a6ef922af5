using System.ComponentModel.DataAnnotations;

namespace MuraPipeline.Dicom.Network;

/// <summary>The "Scp" configuration section: the C-STORE receiver of the ingest role.</summary>
public sealed class StoreScpOptions
{
    public const string Section = "Scp";

    /// <summary>The storage SOP classes radiographs come in; <see cref="ExtraSopClasses"/> adds more.</summary>
    public static readonly string[] RadiographSopClasses =
    [
        DicomUids.ComputedRadiographyImageStorage,
        DicomUids.DigitalXRayImageStorageForPresentation,
        DicomUids.DigitalXRayImageStorageForProcessing,
        DicomUids.SecondaryCaptureImageStorage,
    ];

    /// <summary>Every transfer syntax this build can read; compressed instances are stored as received.</summary>
    public static readonly string[] ReadableTransferSyntaxes =
    [
        DicomUids.ExplicitVrLittleEndian, DicomUids.ImplicitVrLittleEndian, DicomUids.ExplicitVrBigEndian, DicomUids.DeflatedExplicitVrLittleEndian,
        DicomUids.JpegLosslessSv1, DicomUids.JpegLossless, DicomUids.RleLossless, DicomUids.JpegBaseline, DicomUids.JpegExtended,
        DicomUids.JpegLsLossless, DicomUids.JpegLsNearLossless, DicomUids.Jpeg2000Lossless, DicomUids.Jpeg2000,
        DicomUids.Htj2kLossless, DicomUids.Htj2kLosslessRpcl, DicomUids.Htj2k,
    ];

    /// <summary>TCP port to listen on; 0 turns the receiver off. `mura serve --scp-port N` sets it.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>The address to listen on (all interfaces by default).</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>Our AE title; an association that calls another title is rejected. `--ae-title T` sets it.</summary>
    [RegularExpression("^[\\x20-\\x5B\\x5D-\\x7E]{1,16}$", ErrorMessage = "an AE title is 1 to 16 printable characters without a backslash")]
    public string AeTitle { get; set; } = "MURA";

    /// <summary>Calling AE titles allowed to associate, comma separated; empty allows any.</summary>
    public string AllowedCallingAeTitles { get; set; } = string.Empty;

    /// <summary>Storage SOP class UIDs accepted besides CR, DX and Secondary Capture, comma separated.</summary>
    public string ExtraSopClasses { get; set; } = string.Empty;

    /// <summary>Transfer syntax UIDs accepted, comma separated, in no particular order; empty accepts every one this build reads.</summary>
    public string TransferSyntaxes { get; set; } = string.Empty;

    /// <summary>The largest PDU we receive, announced to the peer; a larger one aborts the association.</summary>
    [Range(4096, 16 * 1024 * 1024)]
    public int MaxPduLength { get; set; } = 65536;

    /// <summary>Associations served at once; one more is rejected (transient, local limit exceeded).</summary>
    [Range(1, 1024)]
    public int MaxAssociations { get; set; } = 16;

    /// <summary>
    /// Seconds a new connection has to finish its TLS handshake and send a whole A-ASSOCIATE-RQ; one that has not is
    /// closed, however slowly it trickles bytes. Until then it holds no association slot.
    /// </summary>
    [Range(1, 300)]
    public int AssociateTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Connections one address may hold at once, associated or not; one more is closed unanswered. Twice the default
    /// association limit, so a PACS that is the only sender still fills every slot and hears "local limit exceeded".
    /// </summary>
    [Range(1, 1024)]
    public int MaxConnectionsPerAddress { get; set; } = 32;

    /// <summary>Connections, from all addresses together, that may wait at once for their association request; one more is closed unanswered.</summary>
    [Range(1, 4096)]
    public int MaxPendingConnections { get; set; } = 64;

    /// <summary>Seconds a peer may stay silent inside an association before it is aborted.</summary>
    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 30;

    public HashSet<string> AcceptedSopClasses() =>
        [.. RadiographSopClasses, DicomUids.VerificationSopClass, .. Split(ExtraSopClasses)];

    public HashSet<string> AcceptedTransferSyntaxes() =>
        Split(TransferSyntaxes) is { Length: > 0 } chosen ? [.. chosen] : [.. ReadableTransferSyntaxes];

    public HashSet<string> AllowedCallers() => [.. Split(AllowedCallingAeTitles)];

    private static string[] Split(string list) => list.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
