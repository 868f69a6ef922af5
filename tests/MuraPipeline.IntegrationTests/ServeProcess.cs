using System.Diagnostics;
using System.Globalization;
using System.Text;
using MuraPipeline.Tests;

namespace MuraPipeline.IntegrationTests;

/// <summary>A `mura serve` child process with its log kept in memory.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public bool Killed { get; private set; }

    /// <summary>Where the process serves HTTP (/health, and /api/… in the api role).</summary>
    public string Url { get; set; } = string.Empty;

    public bool Exited => _process.HasExited;

    public int ExitCode => _process.HasExited ? _process.ExitCode : -1;

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

    public string Tail(int lines) => string.Join('\n', Log.Split('\n').TakeLast(lines));

    public static ServeProcess Start(string name, string dll, IEnumerable<string> args, IDictionary<string, string> env, string workingDir)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDir };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        var p = new ServeProcess(name, new Process { StartInfo = psi });
        p._process.OutputDataReceived += (_, e) => p.Append(e.Data);
        p._process.ErrorDataReceived += (_, e) => p.Append(e.Data);
        p._process.Start();
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    /// <summary>SIGKILL: no shutdown, no acknowledgements; the broker takes back what the process held.</summary>
    public void Kill()
    {
        Killed = true;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>A graceful stop (SIGTERM), then a kill if it does not end in 20 s.</summary>
    public void Stop()
    {
        if (_process.HasExited)
        {
            return;
        }

        Killed = true;
        Peers.Run("kill", "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture));
        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose() => _process.Dispose();

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
