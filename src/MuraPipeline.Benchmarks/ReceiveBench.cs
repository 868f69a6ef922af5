using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;

namespace MuraPipeline.Benchmarks;

/// <summary>
/// <c>mura bench receive</c>: instances per second our C-STORE receiver stores durably, beside Debian's Orthanc
/// receiving the same files, in one run: N dcmtk storescu processes at once (N = the receiver's association limit),
/// each sending its own M instances on one association. Also the receiver's peak RSS, and that every instance arrived.
/// </summary>
public static class ReceiveBench
{
    public static async Task<int> RunAsync(int associations, int perAssociation, int side, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("mura-bench-receive-").FullName;
        try
        {
            var folders = Write(dir, associations, perAssociation, side);
            var bytes = folders.SelectMany(f => Directory.GetFiles(f)).Sum(f => new FileInfo(f).Length);
            var total = associations * perAssociation;
            Console.WriteLine($"{associations} associations at once, {perAssociation} instances each ({total} instances, {side}x{side} 16-bit, {bytes / 1e6:0} MB), dcmtk storescu as the sender");

            // Ours: in this process, its peak RSS measured from here (the counter is reset after the files are written).
            var oursDir = Path.Combine(dir, "ours");
            await using var scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", MaxAssociations = associations, TimeoutSeconds = 120 }, oursDir, NullLogger.Instance);
            GC.Collect();
            ResetPeak();
            scp.Start();
            var oursSeconds = Send("MURA", scp.Port, folders);
            var oursPeak = Peak(Environment.ProcessId);
            var oursStored = Directory.GetFiles(oursDir, "*.dcm", SearchOption.AllDirectories).Length;

            // Orthanc: its own process and storage, as many DICOM threads as associations.
            var (orthancSeconds, orthancStored, orthancPeak) = await OrthancAsync(Path.Combine(dir, "orthanc"), associations, folders, ct);

            Console.WriteLine();
            Console.WriteLine($"{"receiver",-10} {"stored",8} {"seconds",8} {"inst/s",8} {"MB/s",8} {"peak RSS",9}");
            Console.WriteLine($"{"mura",-10} {oursStored,8} {oursSeconds,8:0.00} {total / oursSeconds,8:0} {bytes / 1e6 / oursSeconds,8:0.0} {oursPeak / 1048576.0,6:0} MB");
            Console.WriteLine($"{"orthanc",-10} {orthancStored,8} {orthancSeconds,8:0.00} {total / orthancSeconds,8:0} {bytes / 1e6 / orthancSeconds,8:0.0} {orthancPeak / 1048576.0,6:0} MB");
            Console.WriteLine($"mura / orthanc: {orthancSeconds / oursSeconds:0.00}x the instances per second (ours fsyncs each file and its folder before answering success)");
            return oursStored == total && orthancStored == total ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> Write(string dir, int associations, int perAssociation, int side)
    {
        var study = new PhantomGenerator(4242, minSide: side, maxSide: side).Generate(0);
        var ds = PhantomWriter.ToDataset(study, study.Views[0]);
        var folders = new List<string>();
        for (var a = 0; a < associations; a++)
        {
            var folder = Directory.CreateDirectory(Path.Combine(dir, "send", a.ToString(CultureInfo.InvariantCulture))).FullName;
            folders.Add(folder);
            for (var i = 0; i < perAssociation; i++)
            {
                ds.AddString(DicomTag.SopInstanceUid, "UI", DicomUid.FromName($"bench-receive/{a}/{i}"));
                new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(Path.Combine(folder, $"{i:D5}.dcm"));
            }
        }

        return folders;
    }

    /// <summary>Runs one storescu per folder at once; the seconds until the last one is done.</summary>
    private static double Send(string calledAe, int port, List<string> folders)
    {
        var watch = Stopwatch.StartNew();
        var senders = folders.Select(f =>
        {
            var psi = new ProcessStartInfo("storescu") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "+sd", "-aec", calledAe, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), f })
            {
                psi.ArgumentList.Add(a);
            }

            return Process.Start(psi) ?? throw new InvalidOperationException("storescu did not start (apt-get install dcmtk)");
        }).ToList();
        foreach (var p in senders)
        {
            var err = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"storescu to {calledAe} failed ({p.ExitCode}): {err.Result.Trim()}");
            }

            p.Dispose();
        }

        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<(double Seconds, int Stored, long Peak)> OrthancAsync(string dir, int associations, List<string> folders, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        int http = FreePort(), dicom = FreePort();
        var config = Path.Combine(dir, "orthanc.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Name"] = "bench", ["StorageDirectory"] = Path.Combine(dir, "db"), ["IndexDirectory"] = Path.Combine(dir, "db"), ["HttpPort"] = http, ["DicomPort"] = dicom,
            ["DicomAet"] = "ORTHANC", ["RemoteAccessAllowed"] = false, ["AuthenticationEnabled"] = false, ["Plugins"] = Array.Empty<string>(), ["DicomThreadsCount"] = associations,
        }), ct);
        var psi = new ProcessStartInfo("/usr/sbin/Orthanc") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(config);
        using var orthanc = Process.Start(psi) ?? throw new InvalidOperationException("Orthanc did not start (apt-get install orthanc)");
        orthanc.OutputDataReceived += (_, _) => { };
        orthanc.ErrorDataReceived += (_, _) => { };
        orthanc.BeginOutputReadLine();
        orthanc.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}/") };
        try
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    using var alive = await client.GetAsync(new Uri("system", UriKind.Relative), ct);
                    if (alive.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (i < 600 && !orthanc.HasExited)
                {
                    // Starting.
                }

                await Task.Delay(100, ct);
            }

            var seconds = Send("ORTHANC", dicom, folders);
            var stats = await client.GetFromJsonAsync<JsonElement>(new Uri("statistics", UriKind.Relative), ct);
            return (seconds, stats.GetProperty("CountInstances").GetInt32(), Peak(orthanc.Id));
        }
        finally
        {
            orthanc.Kill(entireProcessTree: true);
            await orthanc.WaitForExitAsync(ct);
        }
    }

    private static void ResetPeak()
    {
        try
        {
            // "5" resets VmHWM to the current RSS (Linux 4.0 and later).
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Then the peak includes writing the files.
        }
    }

    private static long Peak(int pid) => PipelineBench.ProcStatus(pid)?.Peak ?? 0;

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
