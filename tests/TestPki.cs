using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MuraPipeline.Tests;

/// <summary>
/// A throw-away public key infrastructure for TLS tests, as PEM files in one folder: a department authority, a server
/// certificate (localhost and 127.0.0.1), a client certificate it signed, and a stranger: a second authority and a client
/// certificate signed by it, which nobody trusts. RSA 2048 and SHA-256, what BCP 195 peers (dcmtk, Orthanc) accept.
/// </summary>
public sealed class TestPki
{
    private TestPki(string dir) => Dir = dir;

    public string Dir { get; }

    public string AuthorityCert => Path.Combine(Dir, "ca.crt");

    public string ServerCert => Path.Combine(Dir, "server.crt");

    public string ServerKey => Path.Combine(Dir, "server.key");

    public string ClientCert => Path.Combine(Dir, "client.crt");

    public string ClientKey => Path.Combine(Dir, "client.key");

    public string StrangerAuthorityCert => Path.Combine(Dir, "stranger-ca.crt");

    public string StrangerCert => Path.Combine(Dir, "stranger.crt");

    public string StrangerKey => Path.Combine(Dir, "stranger.key");

    public static TestPki Create(string dir)
    {
        Directory.CreateDirectory(dir);
        var pki = new TestPki(dir);
        using var ca = Authority("CN=Mura Test Department CA");
        using var stranger = Authority("CN=Somebody Else's CA");
        File.WriteAllText(pki.AuthorityCert, ca.ExportCertificatePem());
        File.WriteAllText(pki.StrangerAuthorityCert, stranger.ExportCertificatePem());
        Leaf(ca, "CN=mura-server", pki.ServerCert, pki.ServerKey, 2);
        Leaf(ca, "CN=mura-client", pki.ClientCert, pki.ClientKey, 3);
        Leaf(stranger, "CN=stranger", pki.StrangerCert, pki.StrangerKey, 4);
        return pki;
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = RSA.Create(2048);
        var rq = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rq.PublicKey, false));
        return rq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>A certificate for both ends (server and client authentication), as Orthanc uses one for both.</summary>
    private static void Leaf(X509Certificate2 issuer, string subject, string certPath, string keyPath, byte serial)
    {
        using var key = RSA.Create(2048);
        var rq = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rq.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        rq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        rq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        rq.CertificateExtensions.Add(san.Build());
        rq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rq.PublicKey, false));
        rq.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var cert = rq.Create(issuer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), [serial, 0x17]);
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
