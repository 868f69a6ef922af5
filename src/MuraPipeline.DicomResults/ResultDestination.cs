namespace MuraPipeline.DicomResults;

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
