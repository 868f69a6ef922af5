using System.Diagnostics;

namespace MuraPipeline.Tests;

/// <summary>Runs a peer program nobody here wrote (dcmtk, Debian's python3 with pydicom or scikit-learn). infra/test.sh installs them; a missing peer fails the test.</summary>
public static class Peers
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
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
    public static (int ExitCode, string Stdout, string Stderr) Python(string script, params string[] args) =>
        Run("/usr/bin/python3", ["-c", script, .. args]);

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "mura-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(d);
        return d;
    }
}
