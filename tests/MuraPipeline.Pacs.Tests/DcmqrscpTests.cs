using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Tests;

namespace MuraPipeline.Pacs.Tests;

/// <summary>dcmtk's dcmqrscp as a second, independent Q/R SCP: it knows fewer keys than Orthanc (no body part, no instance counts), and the pull still takes every study.</summary>
public sealed class DcmqrscpTests : IAsyncLifetime
{
    private PullFixture _pull = null!;
    private StoreScp _scp = null!;
    private Process _qr = null!;
    private int _port;
    private Dictionary<string, string[]> _studies = null!;

    public async Task InitializeAsync()
    {
        _pull = await PullFixture.StartAsync(new Dictionary<string, string?>());
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA" }, _pull.Watch, NullLogger.Instance);
        _scp.Start();
        _port = Peers.FreePort();
        var store = Directory.CreateDirectory(Path.Combine(_pull.Dir, "qr-store")).FullName;
        var config = Path.Combine(_pull.Dir, "dcmqrscp.cfg");
        await File.WriteAllTextAsync(config, $"""
            NetworkTCPPort  = {_port}
            MaxPDUSize      = 16384
            MaxAssociations = 16

            HostTable BEGIN
            mura = (MURA, 127.0.0.1, {_scp.Port})
            HostTable END

            VendorTable BEGIN
            VendorTable END

            AETable BEGIN
            DCMQR {store} RW (200, 1024mb) ANY
            AETable END
            """);
        var psi = new ProcessStartInfo("dcmqrscp") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", config })
        {
            psi.ArgumentList.Add(a);
        }

        _qr = Process.Start(psi)!;
        _qr.OutputDataReceived += (_, e) => Note(e.Data);
        _qr.ErrorDataReceived += (_, e) => Note(e.Data);
        _qr.BeginOutputReadLine();
        _qr.BeginErrorReadLine();
        _studies = _pull.Phantoms(3, seed: 1717, "phantoms");

        // dcmqrscp takes its studies by C-STORE; echoscu tells when it listens.
        await Eventually.UntilAsync(
            () =>
            {
                Assert.False(_qr.HasExited, $"dcmqrscp exited:\n{_log}");
                return Peers.Run("echoscu", "-aec", "DCMQR", "127.0.0.1", _port.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode == 0;
            },
            TimeSpan.FromSeconds(20),
            "dcmqrscp to answer C-ECHO");

        var (code, _, stderr) = Peers.Run("storescu", ["-aec", "DCMQR", "127.0.0.1", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. _studies.Values.SelectMany(v => v)], null, null);
        Assert.True(code == 0, $"{stderr}\ndcmqrscp (exited: {_qr.HasExited}):\n{_log}");
    }

    private readonly System.Text.StringBuilder _log = new();

    private void Note(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async Task DisposeAsync()
    {
        if (!_qr.HasExited)
        {
            _qr.Kill(entireProcessTree: true);
            await _qr.WaitForExitAsync();
        }

        _qr.Dispose();
        await _scp.DisposeAsync();
        await _pull.DisposeAsync();
    }

    [Theory]
    [InlineData("get")]
    [InlineData("move")]
    public async Task Find_lists_the_studies_and_a_pull_brings_every_instance(string retrieve)
    {
        var client = new DicomClient("127.0.0.1", _port, "MURA", "DCMQR");
        var matches = await PullFixture.FindAsync(client, new PacsQuery());
        Assert.Equal(_studies.Keys.Order(StringComparer.Ordinal), matches.Select(m => m.StudyInstanceUid).Order(StringComparer.Ordinal));
        var date = DicomFile.OpenHeader(_studies.Values.First()[0]).Dataset.GetString(DicomTag.StudyDate)!;
        var day = DateOnly.ParseExact(date, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(_studies.Count(s => DicomFile.OpenHeader(s.Value[0]).Dataset.GetString(DicomTag.StudyDate) == date),
            (await PullFixture.FindAsync(client, new PacsQuery { From = day, To = day })).Count);

        var options = _pull.Services.GetRequiredService<IOptions<PacsOptions>>().Value;
        options.Nodes["qr"] = new PacsNode { AeTitle = "DCMQR", Host = "127.0.0.1", Port = _port, Retrieve = retrieve };
        var job = await _pull.RecordAsync("qr", retrieve, matches);
        var summary = await _pull.Services.GetRequiredService<Puller>().RunAsync(job.Id, default);
        Assert.Equal((3, 0), (summary.Received, summary.Failed));
        var rows = await _pull.StudiesAsync(job.Id);
        Assert.Equal(_studies.ToDictionary(s => s.Key, s => s.Value.Length), rows.ToDictionary(r => r.StudyInstanceUid, r => r.Retrieved));
        var arrived = Directory.GetFiles(_pull.Watch, "*.dcm", SearchOption.AllDirectories).Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)).Order(StringComparer.Ordinal);
        Assert.Equal(_studies.Values.SelectMany(v => v).Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)).Order(StringComparer.Ordinal), arrived);
        Assert.All(rows, r => Assert.Equal(PullStudyState.Received, r.State));
    }
}
