namespace MuraPipeline.Dicom.Network;

/// <summary>
/// The "Scp:Tls" settings: this node's certificate and key (PEM), presented by the receiver and, when a peer asks for
/// one, on every association we open; the authority that client certificates must chain to (mutual TLS on the
/// receiver); and the authority the servers we call must chain to (the system's trust store when empty).
/// </summary>
public sealed class DicomTlsOptions
{
    public const string Section = "Scp:Tls";

    /// <summary>PEM certificate (optionally followed by its chain). Set: the receiver speaks TLS only.</summary>
    public string Certificate { get; set; } = string.Empty;

    /// <summary>PEM private key of <see cref="Certificate"/> (PKCS#8, PKCS#1 or SEC1, unencrypted).</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>PEM certificate(s) of the authority client certificates must chain to. Set: the receiver requires a client certificate.</summary>
    public string ClientAuthority { get; set; } = string.Empty;

    /// <summary>PEM certificate(s) of the authority the servers we open associations to must chain to; empty: the system's trust store.</summary>
    public string ServerAuthority { get; set; } = string.Empty;

    /// <summary>Whether a server's certificate must name the host we connected to (subject alternative name).</summary>
    public bool VerifyServerName { get; set; } = true;
}
