using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Tests;

namespace MuraPipeline.Pacs.Tests;

/// <summary>
/// A pull over DICOM TLS from Orthanc, both sides requiring the other's certificate: C-FIND and C-GET on our association,
/// and C-MOVE, where Orthanc opens a TLS association to our receiver and presents its own certificate.
/// </summary>
public sealed class TlsPullTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private TestPki _pki = null!;
    private DicomTls _receiverTls = null!;
    private StoreScp _scp = null!;
    private OrthancServer _orthanc = null!;
    private PullFixture _pull = null!;
    private Dictionary<string, string[]> _studies = null!;

    public async Task InitializeAsync()
    {
        _pki = TestPki.Create(Path.Combine(_dir, "pki"));
        _receiverTls = DicomTls.Load(new DicomTlsOptions { Certificate = _pki.ClientCert, Key = _pki.ClientKey, ClientAuthority = _pki.AuthorityCert });
        // The receiver and the puller's PACS port are known before the fixture; the receiver first, then Orthanc that sends to it.
        _pull = await PullFixture.StartAsync(new Dictionary<string, string?>
        {
            ["Scp:Tls:Certificate"] = _pki.ClientCert,
            ["Scp:Tls:Key"] = _pki.ClientKey,
            ["Scp:Tls:ServerAuthority"] = _pki.AuthorityCert,
        });
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", AllowedCallingAeTitles = OrthancServer.AeTitle }, _pull.Watch, NullLogger.Instance, _receiverTls);
        _scp.Start();
        _orthanc = await OrthancServer.StartAsync(Path.Combine(_dir, "orthanc"), new Dictionary<string, (string, int)> { ["mura"] = ("MURA", _scp.Port) }, (_pki.ServerCert, _pki.ServerKey, _pki.AuthorityCert));
        _studies = _pull.Phantoms(2, seed: 1818, "phantoms");
        await _orthanc.UploadAsync(_studies.Values.SelectMany(v => v));
    }

    public async Task DisposeAsync()
    {
        await _orthanc.DisposeAsync();
        await _scp.DisposeAsync();
        _receiverTls.Dispose();
        await _pull.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("move")]
    [InlineData("get")]
    public async Task Find_and_pull_work_over_mutual_tls_and_plain_tcp_to_the_same_pacs_is_refused(string retrieve)
    {
        var options = _pull.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PacsOptions>>().Value;
        options.Nodes["orthanc"] = new PacsNode { AeTitle = OrthancServer.AeTitle, Host = "127.0.0.1", Port = _orthanc.DicomPort, Retrieve = retrieve, Tls = true };
        options.Nodes["plain"] = new PacsNode { AeTitle = OrthancServer.AeTitle, Host = "127.0.0.1", Port = _orthanc.DicomPort, Retrieve = retrieve };
        var tls = _pull.Services.GetRequiredService<DicomTls>();

        await Assert.ThrowsAsync<DicomProtocolException>(() => options.Client("plain", tls).EchoAsync(default));
        var matches = await PullFixture.FindAsync(options.Client("orthanc", tls), new PacsQuery());
        Assert.Equal(_studies.Keys.Order(StringComparer.Ordinal), matches.Select(m => m.StudyInstanceUid).Order(StringComparer.Ordinal));

        var job = await _pull.RecordAsync("orthanc", retrieve, matches);
        var summary = await _pull.Services.GetRequiredService<Puller>().RunAsync(job.Id, default);
        Assert.Equal((2, 0), (summary.Received, summary.Failed));
        var arrived = Directory.GetFiles(_pull.Watch, "*.dcm", SearchOption.AllDirectories).Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)).Order(StringComparer.Ordinal);
        var sent = _studies.Values.SelectMany(v => v).Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)).Order(StringComparer.Ordinal);
        Assert.Equal(sent, arrived);
        if (retrieve == "move")
        {
            // Orthanc's own word that its association to our receiver was TLS.
            Assert.Contains("Opening a DICOM SCU connection using DICOM TLS", _orthanc.Log, StringComparison.Ordinal);
        }
    }
}
