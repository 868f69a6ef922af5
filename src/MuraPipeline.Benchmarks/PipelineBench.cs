using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Evaluation;
using MuraPipeline.Hosting;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;
using MuraPipeline.Model;
using MuraPipeline.Phantoms;

namespace MuraPipeline.Benchmarks;

/// <summary>
/// <c>mura bench pipeline</c>: in one run, on the same phantoms (generated once and cached), the model's raw
/// <c>Session.Run</c> rate, `mura screen` end to end (its own process: wall time, CPU time, peak RSS, mean batch fill),
/// the CPU each front-end stage costs per view, and with <c>--peer</c> a plain pydicom + PyTorch script running the same
/// exported network (tests/peers/bench_peer.py); then the ratios. The raw rate, screen, the peer and the distributed
/// run go in rounds, one after the other in each: a ratio is always of two runs of the same round, and the figures
/// reported are the rounds' medians (this kind of machine drifts by tens of percent within minutes).
/// </summary>
public static class PipelineBench
{
    private const ulong Seed = 1414;

    public static async Task<int> RunAsync(PipelineBenchSettings s, CancellationToken ct)
    {
        var model = s.ModelPath ?? InferenceOptions.BundledModelPath;
        if (s.Peer)
        {
            _ = FindPeerScript(); // before minutes of work, not after
        }

        var phantoms = Phantoms(s.Studies, s.CacheDir);
        var files = InputFile.Enumerate([phantoms]).Files;
        Console.WriteLine($"phantoms: {s.Studies} studies, {files.Count} views of 12-bit DX/CR (1500-2500 px a side) in {phantoms}");

        // The same phantoms in each other syntax asked for, each encoded by a peer (made once and kept).
        var syntaxes = (s.Syntaxes ?? ["raw"]).Where(n => n != "raw").Select(n => (Name: n, Dir: SyntaxTranscoder.Transcoded(phantoms, n, Environment.ProcessorCount))).ToList();

        // 1. The provider check (the model's raw rate is measured in every round, beside that round's screen).
        using (var onnx = OnnxModel.Load(model, s.Provider))
        {
            var provider = onnx.ExecutionProvider;
            if (!string.Equals(provider, s.Provider, StringComparison.OrdinalIgnoreCase))
            {
                Console.Error.WriteLine($"bench: execution provider {s.Provider} is not available on this machine (scoring would run on {provider}); stopping");
                return ExitCodes.StartFailed;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {onnx.Sha256[..12]} ({onnx.Channels}x{onnx.Height}x{onnx.Width}) on {provider}, batch {s.BatchSize}"));
        }

        // 2. The front end's stages, one view at a time on one core, on a sample of the views.
        var stages = DicomBench.FrontEnd(files.Take(24).ToList(), model, s.Provider, rounds: 3);

        var work = Directory.CreateTempSubdirectory("mura-bench-pipeline-").FullName;
        try
        {
            var rounds = new List<Round>();
            for (var r = 0; r < s.Rounds; r++)
            {
                // 3. The model alone: Session.Run on a ready tensor, the batch size and session options the pipeline
                //    uses; then screen end to end in its own process, on a fresh database.
                (double Rate, double CpuMs) raw;
                using (var onnx = OnnxModel.Load(model, s.Provider))
                {
                    raw = RawRate(onnx, s.BatchSize);
                }

                var screen = await ScreenAsync(phantoms, Path.Combine(work, $"screen-{r}"), s, ct);
                var bySyntax = new Dictionary<string, ScreenRun>(StringComparer.Ordinal);
                foreach (var (name, dir) in syntaxes)
                {
                    bySyntax[name] = await ScreenAsync(dir, Path.Combine(work, $"screen-{r}-{name}"), s, ct);
                    Directory.Delete(Path.Combine(work, $"screen-{r}-{name}"), recursive: true);
                }

                // 4. The peer: the same files and network through pydicom, PIL and PyTorch.
                var peer = s.Peer ? RunPeer(files, model, Path.Combine(work, "files.txt"), screen.Probabilities) : null;

                // 5. Distributed: one ingest and one inference process on the real broker and database.
                var distributed = s.Distributed ? await DistributedAsync(files, s, Path.Combine(work, $"distributed-{r}"), ct) : null;
                rounds.Add(new Round(raw.Rate, raw.CpuMs, screen, peer, distributed, bySyntax));
                Directory.Delete(Path.Combine(work, $"screen-{r}"), recursive: true);
            }

            // 6. Ingest's writer at saturation: a backlog of registrations handed to it at once.
            var writer = await WriterBench.RunAsync(files, 3000, Path.Combine(work, "writer"), ct);

            Print(s, files.Count, stages, rounds, writer);
            return rounds.All(r => r.Screen.Code == 0) ? ExitCodes.Ok : ExitCodes.SomeInputFailed;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The phantom set, made once per size and kept (a marker file says it is complete).</summary>
    private static string Phantoms(int studies, string? cacheDir)
    {
        var root = cacheDir ?? Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "murapipeline", "bench");
        var dir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"phantoms-{studies}-seed{Seed}"));
        return MadeOnce(dir, partial =>
        {
            Console.WriteLine($"generating {studies} phantom studies once into {dir} …");
            PhantomWriter.WriteAll(new PhantomGenerator(Seed), studies, partial, PhantomFormat.Dicom);
        });
    }

    /// <summary>
    /// A folder of bench input made once and kept: <paramref name="make"/> fills a ".partial" sibling, which becomes
    /// <paramref name="dir"/> with a marker saying it is complete; a run cut short leaves no half-made set behind.
    /// </summary>
    internal static string MadeOnce(string dir, Action<string> make)
    {
        if (File.Exists(Path.Combine(dir, ".complete")))
        {
            return dir;
        }

        var partial = dir + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        make(partial);
        File.WriteAllText(Path.Combine(partial, ".complete"), string.Empty);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.Move(partial, dir);
        return dir;
    }

    /// <summary>The model alone: views a second, and the process's CPU milliseconds a view while it runs.</summary>
    private static (double Rate, double CpuMs) RawRate(OnnxModel onnx, int batch)
    {
        var rng = new Random(3);
        var input = new float[batch * onnx.Channels * onnx.Height * onnx.Width];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)((rng.NextDouble() * 4) - 2);
        }

        onnx.RunRaw(input, batch);
        onnx.RunRaw(input, batch);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var runs = 0;
        while (runs < 5 || watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            onnx.RunRaw(input, batch);
            runs++;
        }

        var seconds = watch.Elapsed.TotalSeconds;
        return (runs * batch / seconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / (runs * batch));
    }

    private sealed record ScreenRun(int Code, double Seconds, double CpuSeconds, long PeakRssBytes, int Scored, double BatchFill, Dictionary<string, double> Probabilities, ScreenPhases Phases, double WriterMsPerView, double FilesPerCommit, Dictionary<string, double> StudyScores, double CpuAfterStartSeconds)
    {
        /// <summary>CPU milliseconds a view from the first view registered to the exit: the run without its start-up.</summary>
        public double CpuMsPerViewAfterStart => CpuAfterStartSeconds * 1000 / Math.Max(1, Scored);

        /// <summary>Cores busy on average over the run: CPU time over wall time.</summary>
        public double BusyCores => CpuSeconds / Seconds;
    }

    /// <summary>
    /// Where a screen run's wall time went, from its own database's timestamps (the same clock): from the process's start
    /// to its first view registered (start: runtime, schema, model load), first to last view registered (ingest), last
    /// registered to last scored (scoring left after ingest), and last scored to the process's exit (reports, exit).
    /// </summary>
    private sealed record ScreenPhases(double Start, double Ingest, double ScoringAfterIngest, double End);

    /// <summary>A screen run's mean batch fill (scores per batch over the batch size) and its phases, from its database.</summary>
    private static async Task<(double Fill, ScreenPhases Phases)> ReadRunAsync(string databaseFile, int batchSize, DateTimeOffset started, DateTimeOffset exited, CancellationToken ct)
    {
        await using var db = DatabaseSetup.OpenContext(new DatabaseTarget(null, databaseFile));
        var scores = await db.Scores.CountAsync(ct);
        var batches = await db.Scores.Where(x => x.BatchId != null).Select(x => x.BatchId).Distinct().CountAsync(ct);
        var fill = batches == 0 ? 0 : (double)scores / batches / batchSize;
        var created = await db.Views.AsNoTracking().Select(v => v.CreatedAt).ToListAsync(ct);
        var scored = await db.Views.AsNoTracking().Where(v => v.ScoredAt != null).Select(v => v.ScoredAt!.Value).ToListAsync(ct);
        if (created.Count == 0 || scored.Count == 0)
        {
            return (fill, new ScreenPhases(double.NaN, double.NaN, double.NaN, double.NaN));
        }

        var (first, last, done) = (created.Min(), created.Max(), scored.Max());
        return (fill, new ScreenPhases((first - started).TotalSeconds, (last - first).TotalSeconds, (done - last).TotalSeconds, (exited - done).TotalSeconds));
    }

    private static async Task<ScreenRun> ScreenAsync(string input, string outDir, PipelineBenchSettings s, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mura.dll"), "screen", input, "--out", outDir, "--batch-size", s.BatchSize.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        if (s.ModelPath is not null)
        {
            psi.ArgumentList.Add("--model");
            psi.ArgumentList.Add(s.ModelPath);
        }

        psi.Environment["Inference__ExecutionProvider"] = s.Provider;
        var started = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        long peak = 0;
        double cpu = 0;
        var samples = new List<(double At, double Cpu)>();
        while (!p.HasExited)
        {
            // The high-water mark and CPU time as the kernel keeps them; the last reading before exit is the run's.
            (peak, cpu) = ProcStatus(p.Id) is { } now ? (Math.Max(peak, now.Peak), Math.Max(cpu, now.Cpu)) : (peak, cpu);
            samples.Add((watch.Elapsed.TotalSeconds, cpu));
            await Task.WhenAny(p.WaitForExitAsync(ct), Task.Delay(100, ct));
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var exited = started + watch.Elapsed;
        await p.WaitForExitAsync(ct);
        var output = await stdout;
        var err = await stderr;
        if (p.ExitCode is not (0 or 3))
        {
            throw new InvalidOperationException($"mura screen failed ({p.ExitCode}): {err}");
        }

        var views = File.ReadAllLines(Path.Combine(outDir, "views.csv")).Skip(1).Select(Csv.Split).Where(v => v[3] == "scored").ToList();
        var probabilities = views.ToDictionary(v => v[2], v => double.Parse(v[4], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var studyScores = File.ReadAllLines(Path.Combine(outDir, "studies.csv")).Skip(1).Select(Csv.Split).Where(v => v[3].Length > 0)
            .ToDictionary(v => v[0], v => double.Parse(v[3], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var (fill, phases) = await ReadRunAsync(Path.Combine(outDir, "mura.db"), s.BatchSize, started, exited, ct);

        // Screen's own account of ingest's serialised part (its summary may wrap the line where the terminal is narrow).
        var writer = System.Text.RegularExpressions.Regex.Match(
            System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "), @"Ingest wrote (\d+) files in (\d+) transactions, holding the database ([0-9.]+) ms a file");
        double Group(int i) => writer.Success ? double.Parse(writer.Groups[i].Value, CultureInfo.InvariantCulture) : double.NaN;
        // The CPU spent by the time the first view was registered (the last reading at or before it, 100 ms apart).
        var atFirst = samples.LastOrDefault(x => x.At <= phases.Start).Cpu;
        return new ScreenRun(p.ExitCode, seconds, cpu, peak, views.Count, fill, probabilities, phases, Group(3), Group(1) / Group(2), studyScores, cpu - atFirst);
    }

    private sealed record DistributedRun(double Seconds, int Scored, double IngestCpu, double InferenceCpu, long IngestPeak, long InferencePeak);

    /// <summary>
    /// The distributed mode on the broker and database that <c>ConnectionStrings__RabbitMq</c> and
    /// <c>ConnectionStrings__Postgres</c> name: `mura db migrate`, then one `serve --roles inference` and one
    /// `serve --roles ingest` process (each ready by its /health), the same files hard-linked into a fresh watched
    /// folder at once, timed until every study is scored. The database must hold no studies (the bench will not mix
    /// its rows with anyone's); its rows are deleted afterwards.
    /// </summary>
    private static async Task<DistributedRun> DistributedAsync(IReadOnlyList<string> files, PipelineBenchSettings s, string work, CancellationToken ct)
    {
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
        if (string.IsNullOrWhiteSpace(postgres) || string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq")))
        {
            throw new InvalidOperationException("--distributed runs on the services named by ConnectionStrings__Postgres and ConnectionStrings__RabbitMq; set both (infra/services.sh starts local ones)");
        }

        var watch = Directory.CreateDirectory(Path.Combine(work, "watch")).FullName;
        var env = new Dictionary<string, string>
        {
            ["Ingest__QuietPeriodSeconds"] = "1",
            ["Ingest__SettleMs"] = "200",
            ["Ingest__ScanIntervalMs"] = "250",
            ["Inference__BatchSize"] = s.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Inference__ExecutionProvider"] = s.Provider,
        };
        if (s.ModelPath is not null)
        {
            env["Inference__ModelPath"] = s.ModelPath;
        }

        // The bench's two serve processes share one key ring key, as replicas must; the operator's own is used if set.
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DataProtection__KeyFile")))
        {
            var keyFile = Path.Combine(work, "keyring.key");
            MuraPipeline.Api.Access.KeyRing.Load(keyFile, create: true);
            env["DataProtection__KeyFile"] = keyFile;
        }

        if (RunMura(env, work, "db", "migrate") is { Code: not 0 } migrate)
        {
            throw new InvalidOperationException($"mura db migrate failed ({migrate.Code}): {migrate.Output}");
        }

        await using var db = new Npgsql.NpgsqlConnection(postgres);
        await db.OpenAsync(ct);
        async Task<long> Scalar(string sql)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(sql, db);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }

        if (await Scalar("SELECT count(*) FROM studies") is var existing and > 0)
        {
            throw new InvalidOperationException($"the database holds {existing} studies; --distributed needs an empty one (its own rows are deleted afterwards)");
        }

        var inference = StartServe("inference", env, work, null);
        var ingest = StartServe("ingest", env, work, watch);
        try
        {
            foreach (var p in new[] { inference, ingest })
            {
                await WaitHealthyAsync(p, ct);
            }

            var studies = files.Select(f => Path.GetDirectoryName(f)!).Distinct().Count();
            var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(files[0])!)!)!;
            var watchStart = Stopwatch.StartNew();
            foreach (var f in files)
            {
                // Hard links: the watched folder moves what it takes, the cached phantoms stay where they are.
                var target = Path.Combine(watch, Path.GetRelativePath(root, f));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                if (Link(f, target) != 0)
                {
                    File.Copy(f, target);
                }
            }

            var stats = new Dictionary<Process, (long Peak, double Cpu)> { [ingest.Process] = (0, 0), [inference.Process] = (0, 0) };
            while (await Scalar("SELECT count(*) FROM studies WHERE \"State\" IN (2, 3)") < studies)
            {
                foreach (var p in stats.Keys.ToList())
                {
                    if (p.HasExited)
                    {
                        throw new InvalidOperationException($"a serve process exited ({p.ExitCode}) during the distributed run");
                    }

                    stats[p] = ProcStatus(p.Id) is { } now ? (Math.Max(stats[p].Peak, now.Peak), Math.Max(stats[p].Cpu, now.Cpu)) : stats[p];
                }

                if (watchStart.Elapsed > TimeSpan.FromMinutes(30))
                {
                    throw new TimeoutException("the distributed run did not finish in 30 minutes");
                }

                await Task.Delay(100, ct);
            }

            var seconds = watchStart.Elapsed.TotalSeconds;
            foreach (var p in stats.Keys.ToList())
            {
                stats[p] = ProcStatus(p.Id) is { } now ? (Math.Max(stats[p].Peak, now.Peak), Math.Max(stats[p].Cpu, now.Cpu)) : stats[p];
            }

            var scored = (int)await Scalar("SELECT count(*) FROM views WHERE \"State\" = 2");
            return new DistributedRun(seconds, scored, stats[ingest.Process].Cpu, stats[inference.Process].Cpu, stats[ingest.Process].Peak, stats[inference.Process].Peak);
        }
        finally
        {
            foreach (var p in new[] { ingest, inference })
            {
                if (!p.Process.HasExited)
                {
                    p.Process.Kill(entireProcessTree: true);
                }

                await p.Process.WaitForExitAsync(CancellationToken.None);
                p.Process.Dispose();
            }

            await using var cleanup = new Npgsql.NpgsqlCommand("DELETE FROM heatmaps; DELETE FROM scores; DELETE FROM view_images; DELETE FROM views; DELETE FROM studies;", db);
            await cleanup.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private sealed record Serve(Process Process, string Url);

    private static Serve StartServe(string roles, Dictionary<string, string> env, string work, string? watch)
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "mura.dll"), "serve", "--roles", roles, "--urls", url };
        if (watch is not null)
        {
            args.AddRange(["--watch", watch]);
        }

        var psi = new ProcessStartInfo("dotnet", args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work };
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new Serve(p, url);
    }

    private static async Task WaitHealthyAsync(Serve serve, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (serve.Process.HasExited)
            {
                throw new InvalidOperationException($"mura serve exited ({serve.Process.ExitCode}) before it was healthy");
            }

            try
            {
                if ((await http.GetAsync(serve.Url + "/health", ct)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // slow to answer while it starts
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"mura serve at {serve.Url} was not healthy within 2 minutes");
            }

            await Task.Delay(200, ct);
        }
    }

    private static (int Code, string Output) RunMura(Dictionary<string, string> env, string work, params string[] args)
    {
        Directory.CreateDirectory(work);
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "mura.dll"), .. args]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = work };
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);

    /// <summary>VmHWM (peak resident set) and utime+stime of a live process, from /proc.</summary>
    internal static (long Peak, double Cpu)? ProcStatus(int pid)
    {
        try
        {
            var hwm = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var peak = hwm is null ? 0 : long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            return (peak, ticks / 100.0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The peer's rate, and how far its probabilities are from ours (NaN when its network is the untrained training module).</summary>
    private sealed record PeerRun(double ViewsPerSecond, double Seconds, double MeanAbsDifference, int Compared, string Network);

    private static PeerRun RunPeer(IReadOnlyList<string> files, string model, string list, Dictionary<string, double> ours)
    {
        var script = FindPeerScript();
        File.WriteAllLines(list, files);
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, list, model, "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"the peer script failed ({p.ExitCode}): {stderr}");
        }

        using var json = JsonDocument.Parse(stdout.Result);
        var root = json.RootElement;
        var network = root.GetProperty("network").GetString() ?? "graph";
        var diffs = network != "graph" ? [] : root.GetProperty("probabilities").EnumerateObject().Where(o => ours.ContainsKey(o.Name)).Select(o => Math.Abs(o.Value.GetDouble() - ours[o.Name])).ToList();
        return new PeerRun(root.GetProperty("views_per_second").GetDouble(), root.GetProperty("seconds").GetDouble(), diffs.Count == 0 ? double.NaN : diffs.Average(), diffs.Count, network);
    }

    /// <summary>The reference script, shipped beside the binary (peers/bench_peer.py).</summary>
    private static string FindPeerScript()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "peers", "bench_peer.py");
        return File.Exists(shipped) ? shipped : throw new FileNotFoundException($"--peer runs {shipped}, which this build lacks (it is copied there from tests/peers/bench_peer.py at build)");
    }

    /// <summary>One round: the model's raw rate, screen, then the peer and the distributed run where asked.</summary>
    private sealed record Round(double Raw, double RawCpuMs, ScreenRun Screen, PeerRun? Peer, DistributedRun? Distributed, Dictionary<string, ScreenRun> BySyntax)
    {
        /// <summary>A syntax's screen rate over the uncompressed screen's, in this round.</summary>
        public double SyntaxRatio(string name) => BySyntax[name].Scored / BySyntax[name].Seconds / ScreenRate;

        /// <summary>The largest difference between a study's score from <paramref name="name"/>'s files and from the uncompressed ones.</summary>
        public double SyntaxScoreDifference(string name) =>
            Screen.StudyScores.Where(kv => BySyntax[name].StudyScores.ContainsKey(kv.Key)).Select(kv => Math.Abs(kv.Value - BySyntax[name].StudyScores[kv.Key])).DefaultIfEmpty(double.NaN).Max();

        public double ScreenRate => Screen.Scored / Screen.Seconds;

        public double RawRatio => ScreenRate / Raw;

        public double? PeerRatio => Peer is null ? null : ScreenRate / Peer.ViewsPerSecond;

        public double? DistributedRate => Distributed is null ? null : Distributed.Scored / Distributed.Seconds;

        public double? DistributedRatio => DistributedRate / ScreenRate;
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[(v.Count / 2) - 1] + v[v.Count / 2]) / 2;
    }

    private static void Print(PipelineBenchSettings s, int views, List<(string Stage, double Ms, double CpuMs)> stages, List<Round> rounds, WriterRun writer)
    {
        static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);
        string Spread(Func<Round, double?> of, string format) =>
            rounds.Count == 1 ? string.Empty : $" (rounds {string.Join(", ", rounds.Select(r => F(of(r)!.Value, format)))})";
        double Med(Func<Round, double?> of) => Median(rounds.Select(r => of(r)!.Value));
        var e2e = Med(r => r.ScreenRate);
        Console.WriteLine();
        DicomBench.PrintFrontEnd(stages);
        Console.WriteLine();
        var scored = rounds.Min(r => r.Screen.Scored);
        Console.WriteLine(rounds.Count == 1 ? "| run | views/s | ratio |" : $"| run (median of {rounds.Count} rounds) | views/s | ratio |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine($"| raw Session.Run, batch {s.BatchSize}{Spread(r => r.Raw, "0.0")} | {F(Med(r => r.Raw))} | 1 |");
        Console.WriteLine($"| `mura screen` end to end ({scored} of {views} views in {F(Med(r => r.Screen.Seconds))} s{Spread(r => r.Screen.Seconds, "0.0")}) | {F(e2e)} | {F(Med(r => r.RawRatio), "0.000")} of raw{Spread(r => r.RawRatio, "0.000")} |");
        if (s.Peer)
        {
            var what = rounds[0].Peer!.Network == "module" ? "the training code's own module (untrained, same compute)" : "the ONNX file's graph run node by node";
            Console.WriteLine($"| peer: pydicom + PIL + PyTorch, {what}, {Environment.ProcessorCount} threads ({F(Med(r => r.Peer!.Seconds))} s{Spread(r => r.Peer!.Seconds, "0.0")}) | {F(Med(r => r.Peer!.ViewsPerSecond))} | we are {F(Med(r => r.PeerRatio), "0.00")}x{Spread(r => r.PeerRatio, "0.00")} |");
        }

        foreach (var name in rounds[0].BySyntax.Keys)
        {
            var (_, uid, encoder) = SyntaxTranscoder.Known.Single(k => k.Name == name);
            Console.WriteLine($"| `mura screen`, the same views in {DicomUids.Describe(uid)} ({encoder}; {rounds.Min(r => r.BySyntax[name].Scored)} of {views} scored in {F(Med(r => r.BySyntax[name].Seconds))} s{Spread(r => r.BySyntax[name].Seconds, "0.0")}, study scores within {F(Med(r => r.SyntaxScoreDifference(name)), "0.0000")} of uncompressed) | {F(Med(r => r.BySyntax[name].Scored / r.BySyntax[name].Seconds))} | {F(Med(r => r.SyntaxRatio(name)), "0.00")}x uncompressed{Spread(r => r.SyntaxRatio(name), "0.00")} |");
        }

        if (s.Distributed)
        {
            Console.WriteLine($"| distributed: `serve --roles ingest` + `serve --roles inference`, RabbitMQ and PostgreSQL ({rounds.Min(r => r.Distributed!.Scored)} of {views} views in {F(Med(r => r.Distributed!.Seconds))} s{Spread(r => r.Distributed!.Seconds, "0.0")} from the first file to the last study) | {F(Med(r => r.DistributedRate))} | {F(Med(r => r.DistributedRatio), "0.00")}x embedded{Spread(r => r.DistributedRatio, "0.00")} |");
        }

        Console.WriteLine();
        Console.WriteLine($"screen: CPU {F(Med(r => r.Screen.CpuSeconds))} s ({F(Med(r => r.Screen.CpuSeconds * 1000 / Math.Max(1, r.Screen.Scored)))} ms per view over all cores), {F(Med(r => r.Screen.BusyCores), "0.0")} of {Environment.ProcessorCount} cores busy, peak RSS {F(Med(r => r.Screen.PeakRssBytes) / 1048576.0, "0")} MiB, mean batch fill {F(Med(r => r.Screen.BatchFill) * 100, "0")} % of {s.BatchSize}");
        Console.WriteLine($"screen from the first view registered on: {F(Med(r => r.Screen.CpuMsPerViewAfterStart))} ms of CPU a view, the model's share {F(Med(r => r.RawCpuMs))} ms (its raw run's CPU a view), everything else {F(Med(r => r.Screen.CpuMsPerViewAfterStart - r.RawCpuMs))} ms");
        Console.WriteLine($"screen's ingest: serialised {F(Med(r => r.Screen.WriterMsPerView), "0.00")} ms a view (its one writer's transactions, {F(Med(r => r.Screen.FilesPerCommit), "0.0")} files each)");
        Console.WriteLine($"ingest's writer at saturation ({writer.Views} views queued at once): serialised {F(writer.HeldMsPerView, "0.00")} ms a view, {F(writer.FilesPerCommit, "0")} files a commit, {F(writer.ViewsPerSecond, "0")} views/s registered");
        Console.WriteLine($"screen's wall time: start to the first view registered {F(Med(r => r.Screen.Phases.Start))} s, ingest (first to last view registered) {F(Med(r => r.Screen.Phases.Ingest))} s, scoring after the last view registered {F(Med(r => r.Screen.Phases.ScoringAfterIngest))} s, reports and exit {F(Med(r => r.Screen.Phases.End))} s");
        if (s.Distributed)
        {
            Console.WriteLine($"distributed: CPU {F(Med(r => r.Distributed!.IngestCpu))} s ingest + {F(Med(r => r.Distributed!.InferenceCpu))} s inference ({F(Med(r => (r.Distributed!.IngestCpu + r.Distributed.InferenceCpu) * 1000 / Math.Max(1, r.Distributed.Scored)))} ms per view), peak RSS {F(Med(r => r.Distributed!.IngestPeak) / 1048576.0, "0")} + {F(Med(r => r.Distributed!.InferencePeak) / 1048576.0, "0")} MiB");
        }

        if (s.Peer && rounds[0].Peer!.Network == "graph")
        {
            Console.WriteLine($"peer agreement: mean |p_peer - p_ours| = {F(Med(r => r.Peer!.MeanAbsDifference), "0.0000")} over {rounds.Min(r => r.Peer!.Compared)} views (different resampling, same network)");
        }
    }
}
