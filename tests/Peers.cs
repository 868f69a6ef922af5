using System.Diagnostics;

namespace MuraPipeline.Tests;

/// <summary>Runs a peer program nobody here wrote (dcmtk, Debian's python3 with pydicom or scikit-learn). infra/test.sh installs them; a missing peer fails the test.</summary>
public static class Peers
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, params string[] args) => Run(program, args, null, null);

    /// <summary>Runs a program with extra environment variables and, optionally, a working folder.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string>>? env, string? workingDir, string? stdin = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }

        if (workingDir is not null)
        {
            psi.WorkingDirectory = workingDir;
        }

        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"peer program '{program}' is not installed (run infra/test.sh, which installs it): {ex.Message}", ex);
        }

        using (p)
        {
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }

            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} did not finish in 3 minutes");
            }

            return (p.ExitCode, stdout.Result, stderr);
        }
    }

    /// <summary>Debian's python3 (where python3-pydicom, -numpy and -sklearn live), not a user's pyenv.</summary>
    /// <summary>The repository's root (the folder with MuraPipeline.sln), found upwards from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "MuraPipeline.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no MuraPipeline.sln above {AppContext.BaseDirectory}");
    }

    public static (int ExitCode, string Stdout, string Stderr) Python(string script, params string[] args) =>
        Run("/usr/bin/python3", ["-c", script, .. args]);

    /// <summary>
    /// The built `mura`: mura.dll in the command line project's own output folder (bin/Release/net10.0 when the tests
    /// are in theirs), run as a user runs it. Not the copy beside the test assembly: that folder's libraries are the
    /// packages' own, whereas a Release build of mura carries precompiled ones with tiered compilation off.
    /// </summary>
    public static string MuraDll
    {
        get
        {
            var root = RepositoryRoot();
            var output = Path.GetRelativePath(root, AppContext.BaseDirectory).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var dll = Path.Combine([root, "src", "MuraPipeline.Cli", .. output.Skip(2), "mura.dll"]);
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"mura is not built at {dll} (the test project's reference builds it)", dll);
        }
    }

    /// <summary>The built `mura` (<see cref="MuraDll"/>) in its own process, as a user runs it.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Mura(IEnumerable<KeyValuePair<string, string>>? env, string? workingDir, params string[] args) =>
        Run("dotnet", [MuraDll, .. args], env, workingDir);

    /// <summary><see cref="Mura(IEnumerable{KeyValuePair{string, string}}?, string?, string[])"/> with <paramref name="stdin"/> as its standard input.</summary>
    public static (int ExitCode, string Stdout, string Stderr) MuraWithInput(string stdin, string? workingDir, params string[] args) =>
        Run("dotnet", [MuraDll, .. args], null, workingDir, stdin);

    /// <summary>
    /// Compares our decoded pixels with pydicom's pixel_array (tests/peers/pixel_compare.py): one result per line of
    /// <paramref name="manifest"/> (DICOM path, our .npy or empty, our refusal reason; tab separated).
    /// </summary>
    public static List<PixelComparison> ComparePixels(string manifest)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "pixel_compare.py");
        var (code, stdout, stderr) = Run("/usr/bin/python3", script, manifest);
        if (code != 0)
        {
            throw new InvalidOperationException($"pixel_compare.py failed: {stderr}");
        }

        var options = new System.Text.Json.JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonSerializer.Deserialize<PixelComparison>(l, options)!).ToList();
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback TCP port nobody listens on at the moment of asking, for a process started next to bind. It lies below
    /// the kernel's ephemeral range, so no outgoing connection (to PostgreSQL, RabbitMQ, a PACS) and no bind to port 0
    /// can take it in between, and this process never hands the same port out twice. A port from bind(0) was not safe:
    /// two servers started a second apart could get the same one, or a client's connection could take it first.
    /// </summary>
    public static int FreePort()
    {
        var (low, _) = EphemeralRange();
        var top = Math.Min(low, 32768);
        var bottom = Math.Max(1024, top - 12000);
        lock (HandedOut)
        {
            for (var tries = 0; tries < 1000; tries++)
            {
                var port = Random.Shared.Next(bottom, top);
                if (HandedOut.Contains(port))
                {
                    continue;
                }

                try
                {
                    using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                    l.Start();
                }
                catch (System.Net.Sockets.SocketException)
                {
                    continue;
                }

                HandedOut.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException($"no free loopback port between {bottom} and {top}");
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return (32768, 60999);
        }
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "mura-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(d);
        return d;
    }
}
