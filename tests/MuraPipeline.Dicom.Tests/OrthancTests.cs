using System.Net.Http.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>A real PACS (Debian's Orthanc) sends a study to our receiver with C-STORE.</summary>
public sealed class OrthancTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private OrthancServer _orthanc = null!;
    private StoreScp _scp = null!;

    public async Task InitializeAsync()
    {
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", AllowedCallingAeTitles = OrthancServer.AeTitle }, Path.Combine(_dir, "inbox"), NullLogger.Instance);
        _scp.Start();
        _orthanc = await OrthancServer.StartAsync(Path.Combine(_dir, "orthanc"), new Dictionary<string, (string, int)> { ["mura"] = ("MURA", _scp.Port) });
    }

    public async Task DisposeAsync()
    {
        await _orthanc.DisposeAsync();
        await _scp.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Orthanc_sends_a_study_and_every_instance_arrives_intact()
    {
        var staging = Path.Combine(_dir, "study");
        PhantomWriter.WriteAll(new PhantomGenerator(seed: 61, minSide: 256, maxSide: 320), 1, staging, PhantomFormat.Dicom);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories);
        var ids = await _orthanc.UploadAsync(files);

        using var send = await _orthanc.Http.PostAsJsonAsync("modalities/mura/store", new Dictionary<string, object> { ["Resources"] = ids, ["Synchronous"] = true });
        Assert.True(send.IsSuccessStatusCode, await send.Content.ReadAsStringAsync());

        var received = Directory.GetFiles(Path.Combine(_dir, "inbox", OrthancServer.AeTitle), "*.dcm");
        Assert.Equal(files.Length, received.Length);
        foreach (var f in files)
        {
            var sent = DicomFile.Open(f);
            var uid = sent.Dataset.GetString(DicomTag.SopInstanceUid);
            var got = DicomFile.Open(Assert.Single(received, r => DicomFile.OpenHeader(r).Dataset.GetString(DicomTag.SopInstanceUid) == uid));
            Assert.Equal(sent.Dataset.GetString(DicomTag.PatientName), got.Dataset.GetString(DicomTag.PatientName));
            Assert.Equal(DicomPixelData.From(sent).DecodeFrame().Values, DicomPixelData.From(got).DecodeFrame().Values);
        }
    }
}
