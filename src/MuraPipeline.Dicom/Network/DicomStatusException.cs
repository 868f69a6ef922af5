namespace MuraPipeline.Dicom.Network;

/// <summary>A DIMSE request the peer answered with a failure status; the message names the status and the peer's comment.</summary>
public sealed class DicomStatusException : Exception
{
    public DicomStatusException(string operation, ushort status, string? comment)
        : base($"{operation} failed with status 0x{status:X4} ({Describe(status)}){(string.IsNullOrWhiteSpace(comment) ? string.Empty : ": " + comment)}")
    {
        Status = status;
    }

    public DicomStatusException()
    {
    }

    public DicomStatusException(string message)
        : base(message)
    {
    }

    public DicomStatusException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ushort Status { get; }

    /// <summary>The PS3.4 meaning of the Q/R and storage statuses an operator meets.</summary>
    public static string Describe(ushort status) => status switch
    {
        0xA700 or 0xA701 => "refused: out of resources",
        0xA702 => "refused: out of resources, unable to perform sub-operations",
        0xA801 => "refused: move destination unknown",
        0xA900 => "identifier does not match SOP class",
        0x0122 => "SOP class not supported",
        0xFE00 => "cancelled",
        0xB000 => "sub-operations complete, one or more failures",
        _ when status >= 0xC000 && status <= 0xCFFF => "unable to process",
        _ => "failure",
    };
}
