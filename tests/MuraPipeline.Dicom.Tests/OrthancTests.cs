using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>A real PACS (Debian's Orthanc) sends a study to our receiver with C-STORE.</summary>
public sealed class OrthancTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private Process? _orthanc;
    private StoreScp _scp = null!;
    private int _http;

    public async Task InitializeAsync()
    {
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", AllowedCallingAeTitles = "ORTHANC" }, Path.Combine(_dir, "inbox"), NullLogger.Instance);
        _scp.Start();
        _http = Peers.FreePort();
        var config = new
        {
            Name = "mura-test",
            StorageDirectory = Path.Combine(_dir, "orthanc-db"),
            IndexDirectory = Path.Combine(_dir, "orthanc-db"),
            HttpPort = _http,
            DicomPort = Peers.FreePort(),
            DicomAet = "ORTHANC",
            RemoteAccessAllowed = false,
            AuthenticationEnabled = false,
            Plugins = Array.Empty<string>(),
            DicomModalities = new Dictionary<string, object[]> { ["mura"] = ["MURA", "127.0.0.1", _scp.Port] },
        };
        var configPath = Path.Combine(_dir, "orthanc.json");
        await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(config));
        var psi = new ProcessStartInfo("/usr/sbin/Orthanc", configPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _orthanc = Process.Start(psi) ?? throw new InvalidOperationException("Orthanc did not start");
        _orthanc.OutputDataReceived += (_, _) => { };
        _orthanc.ErrorDataReceived += (_, _) => { };
        _orthanc.BeginOutputReadLine();
        _orthanc.BeginErrorReadLine();
    }

    public async Task DisposeAsync()
    {
        if (_orthanc is { HasExited: false })
        {
            _orthanc.Kill(entireProcessTree: true);
            await _orthanc.WaitForExitAsync();
        }

        _orthanc?.Dispose();
        await _scp.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Orthanc_sends_a_study_and_every_instance_arrives_intact()
    {
        var staging = Path.Combine(_dir, "study");
        PhantomWriter.WriteAll(new PhantomGenerator(seed: 61, minSide: 256, maxSide: 320), 1, staging, PhantomFormat.Dicom);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_http}/") };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var alive = await http.GetAsync("system");
                if (alive.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && _orthanc is { HasExited: false })
            {
                // Orthanc is still starting.
            }

            Assert.True(DateTime.UtcNow < deadline && _orthanc is { HasExited: false }, "Orthanc did not come up");
            await Task.Delay(100);
        }

        var ids = new List<string>();
        foreach (var f in files)
        {
            using var upload = await http.PostAsync("instances", new ByteArrayContent(await File.ReadAllBytesAsync(f)));
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
            ids.Add((await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ID").GetString()!);
        }

        using var send = await http.PostAsJsonAsync("modalities/mura/store", new Dictionary<string, object> { ["Resources"] = ids, ["Synchronous"] = true });
        Assert.True(send.IsSuccessStatusCode, await send.Content.ReadAsStringAsync());

        var received = Directory.GetFiles(Path.Combine(_dir, "inbox", "ORTHANC"), "*.dcm");
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
