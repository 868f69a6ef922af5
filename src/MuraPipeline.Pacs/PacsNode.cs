namespace MuraPipeline.Pacs;

/// <summary>One PACS under Pacs:Nodes:NAME.</summary>
public sealed class PacsNode
{
    /// <summary>The PACS's own (called) AE title.</summary>
    public string AeTitle { get; set; } = string.Empty;

    /// <summary>The PACS's host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The PACS's DICOM port.</summary>
    public int Port { get; set; } = 104;

    /// <summary>"move" (the PACS sends to our receiver, which it must know by <see cref="PacsOptions.MoveDestination"/>) or "get" (back on our own association; no inbound port).</summary>
    public string Retrieve { get; set; } = "move";

    /// <summary>Open associations to it over TLS (Scp:Tls says whom we trust and which certificate we offer).</summary>
    public bool Tls { get; set; }

    /// <summary>
    /// The most studies the PACS returns for one C-FIND, for a PACS that stops there with a Success status instead of
    /// saying it stopped: an answer of this many is taken as cut short and asked again in narrower date and time
    /// ranges. 0: the PACS says so itself (Cancel or Out of Resources, as Orthanc's LimitFindResults does), or has no cap.
    /// </summary>
    public int MaxResults { get; set; }
}
