using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MuraPipeline.Tests;

/// <summary>
/// Debian's Orthanc as a PACS for a test: its own storage folder, loopback ports, the modalities it may send to, and
/// its verbose log kept in memory (it names every resource it sends, which is how a test counts retrieves).
/// </summary>
public sealed partial class OrthancServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private OrthancServer(Process process, int httpPort, int dicomPort)
    {
        _process = process;
        HttpPort = httpPort;
        DicomPort = dicomPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/") };
    }

    public const string AeTitle = "ORTHANC";

    public int HttpPort { get; }

    public int DicomPort { get; }

    public HttpClient Http { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts Orthanc in <paramref name="dir"/>; <paramref name="modalities"/> are the AE titles it knows (name → AE, port
    /// on 127.0.0.1). With <paramref name="tls"/> its DICOM port speaks TLS only, requires a peer certificate chained to
    /// Trusted, and it reaches every modality over TLS with its own certificate.
    /// </summary>
    public static async Task<OrthancServer> StartAsync(string dir, IReadOnlyDictionary<string, (string Ae, int Port)> modalities, (string Cert, string Key, string Trusted)? tls = null, IReadOnlyDictionary<string, object>? settings = null)
    {
        Directory.CreateDirectory(dir);
        var http = Peers.FreePort();
        var dicom = Peers.FreePort();
        var config = new Dictionary<string, object>
        {
            ["Name"] = "mura-test",
            ["StorageDirectory"] = Path.Combine(dir, "orthanc-db"),
            ["IndexDirectory"] = Path.Combine(dir, "orthanc-db"),
            ["HttpPort"] = http,
            ["DicomPort"] = dicom,
            ["DicomAet"] = AeTitle,
            ["RemoteAccessAllowed"] = false,
            ["AuthenticationEnabled"] = false,
            ["Plugins"] = Array.Empty<string>(),
            ["DicomModalities"] = modalities.ToDictionary(m => m.Key, m => tls is null
                ? (object)new object[] { m.Value.Ae, "127.0.0.1", m.Value.Port }
                : new Dictionary<string, object> { ["AET"] = m.Value.Ae, ["Host"] = "127.0.0.1", ["Port"] = m.Value.Port, ["UseDicomTls"] = true }),
        };
        if (tls is { } t)
        {
            config["DicomTlsEnabled"] = true;
            config["DicomTlsCertificate"] = t.Cert;
            config["DicomTlsPrivateKey"] = t.Key;
            config["DicomTlsTrustedCertificates"] = t.Trusted;
            config["DicomTlsRemoteCertificateRequired"] = true;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, object>())
        {
            config[key] = value;
        }

        var configPath = Path.Combine(dir, "orthanc.json");
        await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(config));
        var psi = new ProcessStartInfo("/usr/sbin/Orthanc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--verbose");
        psi.ArgumentList.Add(configPath);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Orthanc did not start (infra/test.sh installs it)");
        var server = new OrthancServer(process, http, dicom);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Waits for Orthanc's REST API to answer (refused connections while it starts count as not yet).</summary>
    private Task WaitReadyAsync() =>
        Eventually.UntilAsync(
            async () =>
            {
                Assert.False(_process.HasExited, $"Orthanc exited while starting:\n{Log}");
                using var alive = await Http.GetAsync("system");
                return alive.IsSuccessStatusCode;
            },
            TimeSpan.FromSeconds(60),
            "Orthanc to come up",
            () => Task.FromResult(Log),
            ex => ex is HttpRequestException);

    /// <summary>Uploads Part-10 files over REST; their Orthanc instance ids.</summary>
    public async Task<List<string>> UploadAsync(IEnumerable<string> files)
    {
        var ids = new List<string>();
        foreach (var f in files)
        {
            using var upload = await Http.PostAsync("instances", new ByteArrayContent(await File.ReadAllBytesAsync(f)));
            if (!upload.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Orthanc refused {f}: {await upload.Content.ReadAsStringAsync()}");
            }

            ids.Add((await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ID").GetString()!);
        }

        return ids;
    }

    /// <summary>Orthanc's id of a study, by its Study Instance UID.</summary>
    public async Task<string> StudyIdAsync(string studyUid)
    {
        using var lookup = await Http.PostAsync("tools/lookup", new StringContent(studyUid));
        var found = (await lookup.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().First(e => e.GetProperty("Type").GetString() == "Study");
        return found.GetProperty("ID").GetString()!;
    }

    /// <summary>How many times Orthanc sent one of the study's series (by C-MOVE or C-GET), from its own log.</summary>
    public async Task<int> RetrievesAsync(string studyUid)
    {
        var study = await (await Http.GetAsync($"studies/{await StudyIdAsync(studyUid)}")).Content.ReadFromJsonAsync<JsonElement>();
        var series = study.GetProperty("Series").EnumerateArray().Select(s => s.GetString()!).ToHashSet(StringComparer.Ordinal);
        return SendingResource().Matches(Log).Count(m => series.Contains(m.Groups[1].Value));
    }

    [GeneratedRegex("Sending resource ([0-9a-f-]+) to modality")]
    private static partial Regex SendingResource();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Http.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
