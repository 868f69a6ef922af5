using System.Diagnostics;
using System.Globalization;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// DICOM basic TLS (PS3.15 B.1) both ways against dcmtk built on OpenSSL: echoscu and storescu +tls into our receiver
/// (mutual TLS: an untrusted, a missing or no TLS at all is refused before any DICOM), and our requester into dcmtk's
/// storescp +tls, which requires our certificate, while we refuse a server our authority did not sign.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private readonly ListLogger _log = new();
    private TestPki _pki = null!;
    private StoreScp _scp = null!;
    private DicomTls _serverTls = null!;
    private List<string> _files = null!;

    private string Inbox => Path.Combine(_dir, "inbox");

    private string Port => _scp.Port.ToString(CultureInfo.InvariantCulture);

    public Task InitializeAsync()
    {
        _pki = TestPki.Create(Path.Combine(_dir, "pki"));
        _serverTls = DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ServerCert, Key = _pki.ServerKey, ClientAuthority = _pki.AuthorityCert });
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", TimeoutSeconds = 5 }, Inbox, _log, _serverTls);
        _scp.Start();
        var phantoms = Path.Combine(_dir, "phantoms");
        PhantomWriter.WriteAll(new PhantomGenerator(71, minSide: 200, maxSide: 240), 2, phantoms, PhantomFormat.Dicom);
        _files = Directory.GetFiles(phantoms, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _scp.DisposeAsync();
        _serverTls.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private List<string> Received() =>
        Directory.Exists(Inbox) ? Directory.GetFiles(Inbox, "*", SearchOption.AllDirectories).ToList() : [];

    private string[] DcmtkTls(string key, string cert, string trusted) => ["+tls", key, cert, "+cf", trusted];

    [Fact]
    public void Dcmtk_echoes_and_stores_over_mutual_tls()
    {
        var echo = Peers.Run("echoscu", [.. DcmtkTls(_pki.ClientKey, _pki.ClientCert, _pki.AuthorityCert), "-aet", "ECHOSCU", "-aec", "MURA", "127.0.0.1", Port], null, null);
        Assert.True(echo.ExitCode == 0, echo.Stderr + string.Join('\n', _log.Lines));
        var store = Peers.Run("storescu", [.. DcmtkTls(_pki.ClientKey, _pki.ClientCert, _pki.AuthorityCert), "-aet", "STORESCU", "-aec", "MURA", "127.0.0.1", Port, .. _files], null, null);
        Assert.True(store.ExitCode == 0, store.Stderr + string.Join('\n', _log.Lines));
        Assert.Equal(_files.Count, Received().Count);
        Assert.Equal(
            _files.Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)).Order(StringComparer.Ordinal),
            Received().Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)).Order(StringComparer.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("speaks TLS only", StringComparison.Ordinal) && l.Contains("client certificates required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_untrusted_a_missing_or_no_client_certificate_and_plain_tcp_are_refused_before_any_dicom()
    {
        // A certificate from an authority we do not trust.
        var stranger = Peers.Run("storescu", [.. DcmtkTls(_pki.StrangerKey, _pki.StrangerCert, _pki.AuthorityCert), "-aet", "STORESCU", "-aec", "MURA", "127.0.0.1", Port, _files[0]], null, null);
        Assert.NotEqual(0, stranger.ExitCode);
        // TLS without any certificate.
        var anonymous = Peers.Run("storescu", ["+tla", "+cf", _pki.AuthorityCert, "-aet", "STORESCU", "-aec", "MURA", "127.0.0.1", Port, _files[0]], null, null);
        Assert.NotEqual(0, anonymous.ExitCode);
        // No TLS at all.
        var plain = Peers.Run("storescu", ["-aet", "STORESCU", "-aec", "MURA", "127.0.0.1", Port, _files[0]], null, null);
        Assert.NotEqual(0, plain.ExitCode);
        // Our own requester without a client certificate: it trusts the server, the server does not know it.
        using var noCert = DicomTls.Load(new DicomTlsOptions { ServerAuthority = _pki.AuthorityCert });
        await Assert.ThrowsAsync<DicomProtocolException>(() => new DicomClient("127.0.0.1", _scp.Port, "MURA-TEST", "MURA") { Tls = noCert }.EchoAsync(default));

        Assert.Empty(Received());
        Assert.Empty(Directory.Exists(Inbox) ? Directory.GetFiles(Inbox, ".*", SearchOption.AllDirectories) : []);
        await Eventually.UntilAsync(() => _log.Lines.Count(l => l.Contains("refused: TLS handshake failed", StringComparison.Ordinal)) >= 4, TimeSpan.FromSeconds(20), "four refused handshakes in the log");
        var refusals = _log.Lines.Where(l => l.Contains("refused:", StringComparison.Ordinal)).ToList();
        Assert.Contains(refusals, l => l.Contains("'CN=stranger' does not chain to the configured authority", StringComparison.Ordinal));
        Assert.True(refusals.Count(l => l.Contains("presented no certificate", StringComparison.Ordinal)) >= 2, string.Join('\n', refusals));
        Assert.DoesNotContain(_log.Lines, l => l.Contains("association from", StringComparison.Ordinal));

        // The receiver is still there for a trusted client.
        using var client = DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ClientCert, Key = _pki.ClientKey, ServerAuthority = _pki.AuthorityCert });
        Assert.Equal(DimseCommand.Success, await new DicomClient("127.0.0.1", _scp.Port, "MURA-TEST", "MURA") { Tls = client }.EchoAsync(default));
    }

    [Fact]
    public async Task Our_requester_stores_into_dcmtk_storescp_over_tls_and_refuses_a_server_it_cannot_trust()
    {
        var port = Peers.FreePort();
        var output = Directory.CreateDirectory(Path.Combine(_dir, "storescp")).FullName;
        var psi = new ProcessStartInfo("storescp") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[.. DcmtkTls(_pki.ServerKey, _pki.ServerCert, _pki.AuthorityCert), "-rc", "-aet", "STORESCP", "-od", output, port.ToString(CultureInfo.InvariantCulture)])
        {
            psi.ArgumentList.Add(a);
        }

        using var storescp = Process.Start(psi)!;
        try
        {
            using var ours = DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ClientCert, Key = _pki.ClientKey, ServerAuthority = _pki.AuthorityCert });
            var client = new DicomClient("127.0.0.1", port, "MURA", "STORESCP") { Tls = ours, Timeout = TimeSpan.FromSeconds(10) };
            for (var i = 0; ; i++)
            {
                try
                {
                    Assert.Equal(DimseCommand.Success, await client.EchoAsync(default));
                    break;
                }
                catch (Exception ex) when (ex is DicomProtocolException or System.Net.Sockets.SocketException && i < 100 && !storescp.HasExited)
                {
                    await Task.Delay(100);
                }
            }

            var outcomes = await client.StoreAsync(_files, default);
            Assert.All(outcomes, o => Assert.True(o.Succeeded, o.Error));
            Assert.Equal(_files.Count, Directory.GetFiles(output).Length);

            // A server whose certificate our authority did not sign: refused by us, with the reason.
            using var strangerTrust = DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ClientCert, Key = _pki.ClientKey, ServerAuthority = _pki.StrangerAuthorityCert });
            var untrusted = await Assert.ThrowsAsync<DicomProtocolException>(() => new DicomClient("127.0.0.1", port, "MURA", "STORESCP") { Tls = strangerTrust }.EchoAsync(default));
            Assert.Contains("'CN=mura-server' does not chain to the configured authority", untrusted.Message, StringComparison.Ordinal);

            // The right server at a name its certificate does not carry.
            var wrongName = await Assert.ThrowsAsync<DicomProtocolException>(() => new DicomClient("127.0.0.2", port, "MURA", "STORESCP") { Tls = ours }.EchoAsync(default));
            Assert.Contains("does not name 127.0.0.2", wrongName.Message, StringComparison.Ordinal);

            // storescp requires a client certificate: without ours it refuses us.
            using var noCert = DicomTls.Load(new DicomTlsOptions { ServerAuthority = _pki.AuthorityCert });
            await Assert.ThrowsAsync<DicomProtocolException>(() => new DicomClient("127.0.0.1", port, "MURA", "STORESCP") { Tls = noCert }.EchoAsync(default));
            Assert.Equal(_files.Count, Directory.GetFiles(output).Length);
        }
        finally
        {
            storescp.Kill(entireProcessTree: true);
            await storescp.WaitForExitAsync();
        }
    }

    [Fact]
    public void Settings_that_cannot_work_are_refused_at_load_naming_the_setting()
    {
        var onlyCert = Assert.Throws<DicomException>(() => DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ServerCert }));
        Assert.Contains("Scp:Tls:Certificate and Scp:Tls:Key go together", onlyCert.Message, StringComparison.Ordinal);
        var wrongKey = Assert.Throws<DicomException>(() => DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ServerCert, Key = _pki.ClientKey }));
        Assert.Contains("Scp:Tls:Certificate " + _pki.ServerCert, wrongKey.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<DicomException>(() => DicomTls.Load(new DicomTlsOptions { ServerAuthority = Path.Combine(_dir, "nope.crt") }));
        Assert.Contains("Scp:Tls:ServerAuthority", missing.Message, StringComparison.Ordinal);
        var mutualWithoutCert = Assert.Throws<DicomException>(() => DicomTls.Load(new DicomTlsOptions { ClientAuthority = _pki.AuthorityCert }));
        Assert.Contains("ClientAuthority needs", mutualWithoutCert.Message, StringComparison.Ordinal);
    }
}
