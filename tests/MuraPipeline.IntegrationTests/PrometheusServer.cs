using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MuraPipeline.Tests;

namespace MuraPipeline.IntegrationTests;

/// <summary>Debian's Prometheus server, scraping the given serve processes every second on loopback, with its own data folder.</summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly StringBuilder _log = new();

    private PrometheusServer(Process process, string dir, Uri url)
    {
        _process = process;
        _dir = dir;
        Url = url;
    }

    public Uri Url { get; }

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

    public static PrometheusServer Start(IEnumerable<ServeProcess> targets)
    {
        var dir = Peers.TempDir();
        var port = Peers.FreePort();
        var config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n");
        foreach (var t in targets)
        {
            var u = new Uri(t.Url);
            config.Append(CultureInfo.InvariantCulture, $"  - job_name: '{t.Name}'\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['{u.Host}:{u.Port}']\n");
        }

        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), config.ToString());
        var psi = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { $"--config.file={Path.Combine(dir, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(dir, "data")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("prometheus did not start (infra/test.sh installs it)");
        var server = new PrometheusServer(p, dir, new Uri($"http://127.0.0.1:{port}/"));
        p.OutputDataReceived += (_, e) => server.Append(e.Data);
        p.ErrorDataReceived += (_, e) => server.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return server;
    }

    /// <summary>The instant query's single value, or null when it has no result yet (or the server is still starting).</summary>
    public async Task<double?> QueryAsync(string expression)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"api/v1/query?query={Uri.EscapeDataString(expression)}", UriKind.Relative)));
            var result = doc.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 1 ? double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
