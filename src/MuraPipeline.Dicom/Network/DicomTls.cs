using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MuraPipeline.Dicom.Network;

/// <summary>
/// DICOM basic TLS secure transport (PS3.15 B.1, BCP 195: TLS 1.2 or 1.3 only) for both ends of an association,
/// built once from <see cref="DicomTlsOptions"/>. Every failure to load names the setting and the file.
/// </summary>
public sealed class DicomTls : IDisposable
{
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2Collection? _clientAuthority;
    private readonly X509Certificate2Collection? _serverAuthority;
    private readonly bool _verifyServerName;

    private DicomTls(X509Certificate2? certificate, X509Certificate2Collection? clientAuthority, X509Certificate2Collection? serverAuthority, bool verifyServerName)
    {
        _certificate = certificate;
        _clientAuthority = clientAuthority;
        _serverAuthority = serverAuthority;
        _verifyServerName = verifyServerName;
    }

    /// <summary>Whether the receiver speaks TLS (a certificate is configured).</summary>
    public bool ServesTls => _certificate is not null;

    /// <summary>Whether the receiver requires client certificates (a client authority is configured).</summary>
    public bool RequiresClientCertificate => _clientAuthority is not null;

    /// <summary>The subject of our certificate, for the start-up log line; never the key.</summary>
    public string? Subject => _certificate?.Subject;

    public static DicomTls Load(DicomTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        X509Certificate2? certificate = null;
        if (options.Certificate.Length > 0 || options.Key.Length > 0)
        {
            if (options.Certificate.Length == 0 || options.Key.Length == 0)
            {
                throw new DicomException($"{DicomTlsOptions.Section}:Certificate and {DicomTlsOptions.Section}:Key go together; only one is set");
            }

            certificate = LoadCertificate(options.Certificate, options.Key);
        }

        if (options.ClientAuthority.Length > 0 && certificate is null)
        {
            throw new DicomException($"{DicomTlsOptions.Section}:ClientAuthority needs {DicomTlsOptions.Section}:Certificate and Key: mutual TLS is TLS first");
        }

        return new DicomTls(
            certificate,
            options.ClientAuthority.Length > 0 ? LoadAuthority("ClientAuthority", options.ClientAuthority) : null,
            options.ServerAuthority.Length > 0 ? LoadAuthority("ServerAuthority", options.ServerAuthority) : null,
            options.VerifyServerName);
    }

    private static X509Certificate2 LoadCertificate(string certificatePath, string keyPath)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (pem.NotAfter < DateTime.Now)
            {
                throw new DicomException($"{DicomTlsOptions.Section}:Certificate {certificatePath} expired on {pem.NotAfter:yyyy-MM-dd}");
            }

            // A key loaded from PEM is ephemeral; the TLS stack on Linux wants it exportable into a PKCS#12 form once.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new DicomException($"{DicomTlsOptions.Section}:Certificate {certificatePath} with Key {keyPath} cannot be loaded: {ex.Message}", ex);
        }
    }

    private static X509Certificate2Collection LoadAuthority(string setting, string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new DicomException($"{DicomTlsOptions.Section}:{setting} {path} cannot be read: {ex.Message}", ex);
        }

        return collection.Count > 0 ? collection : throw new DicomException($"{DicomTlsOptions.Section}:{setting} {path} holds no PEM certificate");
    }

    /// <summary>The receiver's side of the handshake; a failure is a <see cref="DicomProtocolException"/> saying why.</summary>
    public async Task<SslStream> AcceptAsync(Stream transport, CancellationToken ct)
    {
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        string? refusal = null;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = _certificate ?? throw new InvalidOperationException("no certificate: the receiver does not speak TLS"),
            EnabledSslProtocols = Protocols,
            ClientCertificateRequired = _clientAuthority is not null,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (_clientAuthority is null)
                {
                    return true;
                }

                refusal = Verify(cert, _clientAuthority, errors, "client");
                return refusal is null;
            },
        };
        try
        {
            await ssl.AuthenticateAsServerAsync(options, ct);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            throw new DicomProtocolException($"TLS handshake failed: {refusal ?? Innermost(ex)}", ex);
        }
    }

    /// <summary>Our side of the handshake towards <paramref name="host"/>; a failure is a <see cref="DicomProtocolException"/> saying why.</summary>
    public async Task<SslStream> ConnectAsync(Stream transport, string host, CancellationToken ct)
    {
        var ssl = new SslStream(transport, leaveInnerStreamOpen: false);
        string? refusal = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificates = _certificate is null ? null : [_certificate],
            RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (_verifyServerName && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
                {
                    refusal = $"the server's certificate does not name {host}";
                    return false;
                }

                refusal = _serverAuthority is null
                    ? (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None ? null : $"the server's certificate is not trusted ({errors})"
                    : Verify(cert, _serverAuthority, errors, "server");
                return refusal is null;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync();
            throw new DicomProtocolException($"TLS handshake with {host} failed: {refusal ?? Innermost(ex)}", ex);
        }
    }

    /// <summary>Null when <paramref name="cert"/> chains to one of <paramref name="authority"/>; otherwise why not.</summary>
    private static string? Verify(X509Certificate? cert, X509Certificate2Collection authority, SslPolicyErrors errors, string who)
    {
        if (cert is null)
        {
            return $"the {who} presented no certificate";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(cert);
        if (chain.Build(leaf))
        {
            return null;
        }

        var status = string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal));
        return $"the {who} certificate '{leaf.Subject}' does not chain to the configured authority ({(status.Length > 0 ? status : errors.ToString())})";
    }

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is { } inner)
        {
            ex = inner;
        }

        return ex.Message;
    }

    public void Dispose() => _certificate?.Dispose();
}
