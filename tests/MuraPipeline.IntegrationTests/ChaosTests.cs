using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;
using Xunit.Abstractions;

namespace MuraPipeline.IntegrationTests;

/// <summary>
/// The chaos run: the distributed mode with two ingest, two inference, one api and one scheduler process, fed by several
/// dcmtk `dcmsend` senders and by folder drops, while a seeded schedule SIGKILLs a worker of every role, restarts
/// PostgreSQL and RabbitMQ, and fills the first receiver's disk (a tmpfs of its own) for a while. Then every promise is
/// checked at once: each instance a sender heard success for is scored exactly once, each refusal was an A700 while the
/// disk was full and succeeds when re-sent, the status document agrees with the tables, and no error queue holds anything.
/// MURA_CHAOS_SEED picks the schedule (a new one each run otherwise; the seed is printed); MURA_CHAOS=long runs the
/// bigger variant (thousands of views, twenty minutes of faults) for a bigger machine.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Sender = "SENDER";

    /// <summary>How the data layer stores a DateTimeOffset (a long, the same in SQLite and PostgreSQL).</summary>
    private static readonly DateTimeOffsetToBinaryConverter Stored = new();
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(8);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _journal = new();
    private Cluster _c = null!;
    private string _disk = null!;
    private bool _mounted;
    private int _batches;
    private TimeSpan _started;

    /// <summary>How big the run is: studies, how long faults are injected, kills per role, how long the disk stays full, senders at once.</summary>
    private sealed record Profile(string Name, int Studies, TimeSpan Faults, int KillsPerRole, TimeSpan DiskFull, int Senders);

    /// <summary>One phantom instance: where its file is, which receiver it goes to (or the watched folder), and each send's outcome.</summary>
    private sealed class Instance(string sop, string study, string file, int target)
    {
        public string Sop { get; } = sop;

        public string Study { get; } = study;

        public string File { get; } = file;

        /// <summary>0 or 1: the receiver of ingest-1 or ingest-2; -1: dropped into ingest-2's watched folder.</summary>
        public int Target { get; } = target;

        public List<Outcome> Outcomes { get; } = [];

        public TimeSpan? DroppedAt { get; set; }

        public bool Acknowledged
        {
            get
            {
                lock (Outcomes)
                {
                    return Outcomes.Any(o => o.Status == 0);
                }
            }
        }
    }

    /// <summary>One C-STORE as the sender reported it: the status (null when no response came), and when its batch ran.</summary>
    private sealed record Outcome(ushort? Status, string Text, TimeSpan Start, TimeSpan End);

    public async Task InitializeAsync()
    {
        _c = await Cluster.StartAsync(output);
        _disk = Peers.TempDir();
    }

    public async Task DisposeAsync()
    {
        output.WriteLine("schedule as it ran:\n" + string.Join('\n', _journal));
        await _c.DisposeAsync();
        if (_mounted)
        {
            Peers.Run("umount", "-l", _disk);
        }

        Directory.Delete(_disk, recursive: true);
    }

    [Fact]
    public async Task Kills_of_every_role_restarts_of_both_services_and_a_full_disk_lose_no_acknowledged_instance_and_score_none_twice()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MURA_CHAOS_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next(1, 1_000_000);
        var profile = Environment.GetEnvironmentVariable("MURA_CHAOS") == "long"
            ? new Profile("long", 1200, TimeSpan.FromMinutes(20), 8, TimeSpan.FromSeconds(90), 6)
            : new Profile("short", 108, TimeSpan.FromSeconds(180), 2, TimeSpan.FromSeconds(25), 3);
        output.WriteLine($"chaos run: seed {seed} (MURA_CHAOS_SEED={seed} repeats it), profile {profile.Name}");
        var random = new Random(seed);

        // The studies: a twelfth kept for the probe while the disk is full, a sixth dropped into the watched folder, the
        // rest sent by C-STORE, study by study, to one receiver or the other.
        var generator = new PhantomGenerator((ulong)seed, minSide: 256, maxSide: 512);
        var probe = Math.Max(2, profile.Studies / 12);
        var drops = Math.Max(2, profile.Studies / 6);
        var studies = new List<(string Uid, string Dir, int Target)>();
        for (var i = 0; i < profile.Studies; i++)
        {
            var target = i < probe ? 0 : i < probe + drops ? -1 : i % 2;
            var dir = Path.Combine(_c.Dir, target < 0 ? "drops" : "send", $"s{i:D4}");
            var study = generator.Generate(i);
            PhantomWriter.WriteDicom(study, dir);
            foreach (var v in study.Views)
            {
                var file = Path.Combine(dir, study.PatientId, study.AccessionNumber, $"IM{v.Index + 1:000}.dcm");
                _instances[v.SopInstanceUid] = new Instance(v.SopInstanceUid, study.StudyInstanceUid, file, target);
            }

            studies.Add((study.StudyInstanceUid, dir, target));
        }

        // The first receiver's inbox and archive live on a filesystem of their own, big enough for its share and little more.
        var firstShare = _instances.Values.Where(x => x.Target == 0).Sum(x => new FileInfo(x.File).Length);
        var size = ((firstShare * 3 / 2) >> 20) + 32;
        var mount = Peers.Run("mount", "-t", "tmpfs", "-o", $"size={size}m", "tmpfs", _disk);
        Assert.True(mount.ExitCode == 0, $"the chaos run mounts a {size} MB tmpfs for the receiver's disk (as root, as CI runs): {mount.Stderr}");
        _mounted = true;

        var scpPorts = new[] { Peers.FreePort(), Peers.FreePort() };
        var watch = new[] { Path.Combine(_disk, "inbox"), Path.Combine(_c.Dir, "inbox") };
        foreach (var w in watch)
        {
            Directory.CreateDirectory(w);
        }

        // A delivery the broker still counts as unacknowledged on a dead channel after its restart is the reconciler's
        // to re-send: here after 20 s rather than the default 10 minutes.
        var reconcile = new Dictionary<string, string> { ["Ingest__ReconcileAfterSeconds"] = "20", ["Ingest__ReconcileIntervalMs"] = "2000" };
        var slots = new List<Slot>
        {
            // ingest-1's small disk keeps a watermark in proportion (the default 512 MB or 2 % would refuse from the start).
            new(_c, "ingest", "ingest-1", Ingest(watch[0], scpPorts[0]), new Dictionary<string, string>(reconcile) { ["Storage__MinFreeMegabytes"] = "8", ["Storage__MinFreePercent"] = "0" }),
            new(_c, "ingest", "ingest-2", Ingest(watch[1], scpPorts[1]), reconcile),
            new(_c, "inference", "inference-1", Serve("inference")),
            new(_c, "inference", "inference-2", Serve("inference")),
            new(_c, "api", "api", Serve("api")),
            new(_c, "scheduler", "scheduler", Serve("scheduler"), new Dictionary<string, string> { ["Export__PseudonymKey"] = "a pseudonym key for the chaos run", ["Export__Folder"] = Path.Combine(_c.Dir, "exports") }),
        };
        foreach (var slot in slots)
        {
            slot.Start();
        }

        foreach (var port in scpPorts)
        {
            await WaitForEchoAsync(port);
        }

        // The seeded schedule: kills spread over the fault window, one restart of each service, one disk-full window.
        var events = new List<(TimeSpan At, string What, Func<Task> Act)>();
        TimeSpan At(double from, double to) => profile.Faults * (from + (random.NextDouble() * (to - from)));
        var kills = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var role in slots.Select(x => x.Role).Distinct())
        {
            var ofRole = slots.Where(x => x.Role == role).ToList();
            for (var k = 0; k < profile.KillsPerRole; k++)
            {
                var victim = ofRole[random.Next(ofRole.Count)];
                var down = TimeSpan.FromMilliseconds(random.Next(500, 4000));
                events.Add((At(0.05, 0.9), $"SIGKILL {victim.Name}, restart after {down.TotalSeconds:0.0} s", async () =>
                {
                    victim.Kill();
                    kills[role] = kills.GetValueOrDefault(role) + 1;
                    await Task.Delay(down);
                    victim.Start();
                }));
            }
        }

        events.Add((At(0.1, 0.8), "restart PostgreSQL", () =>
        {
            var cluster = Peers.Run("pg_lsclusters", "--no-header").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var r = Peers.Run("pg_ctlcluster", cluster[0], cluster[1], "restart", "-m", "fast");
            Assert.True(r.ExitCode == 0, r.Stderr);
            return Task.CompletedTask;
        }));
        events.Add((At(0.1, 0.8), "restart RabbitMQ", () =>
        {
            foreach (var verb in new[] { "stop_app", "start_app" })
            {
                var r = Peers.Run("rabbitmqctl", "-q", verb);
                Assert.True(r.ExitCode == 0, r.Stderr);
            }

            return Task.CompletedTask;
        }));
        var probeStudies = studies.Take(probe).ToList();
        var diskFull = (Start: TimeSpan.Zero, End: TimeSpan.Zero);
        var release = Task.CompletedTask;
        List<(Instance X, Outcome First)> probed = [];
        events.Add((At(0.2, 0.6), $"fill ingest-1's disk for {profile.DiskFull.TotalSeconds:0} s", async () =>
        {
            var filler = Path.Combine(_disk, "filler");
            diskFull.Start = _clock.Elapsed;
            Fill(filler);
            var free = Peers.Run("df", "--output=avail", "-B1", _disk).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();
            Log($"disk full: {free} bytes free");

            // Every instance sent to the full receiver is refused with A700, whatever else is going on.
            await WaitForEchoAsync(scpPorts[0]);
            foreach (var study in probeStudies)
            {
                await SendAsync([study.Dir], scpPorts[0]);
            }

            probed = [.. probeStudies.SelectMany(p => _instances.Values.Where(x => x.Study == p.Uid)).Select(x => (x, x.Outcomes[0]))];
            // The rest of the window runs beside the schedule: kills go on while the disk is full.
            release = Task.Run(async () =>
            {
                var hold = diskFull.Start + profile.DiskFull - _clock.Elapsed;
                if (hold > TimeSpan.Zero)
                {
                    await Task.Delay(hold);
                }

                File.Delete(filler);
                diskFull.End = _clock.Elapsed;
                Log("disk space back");
            });
        }));
        events.Sort((a, b) => a.At.CompareTo(b.At));

        // Senders and the dropper run through the fault window, paced so that they are busy from its start to its end.
        var sendQueue = new ConcurrentQueue<(string Dir, int Target, TimeSpan NotBefore)>();
        var toSend = studies.Skip(probe).Where(x => x.Target >= 0).ToList();
        for (var i = 0; i < toSend.Count; i++)
        {
            sendQueue.Enqueue((toSend[i].Dir, toSend[i].Target, profile.Faults * i / toSend.Count));
        }

        var started = _started = _clock.Elapsed;
        var senders = Enumerable.Range(0, profile.Senders).Select(_ => Task.Run(async () =>
        {
            while (sendQueue.TryDequeue(out var item))
            {
                var wait = started + item.NotBefore - _clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                await SendAsync([item.Dir], scpPorts[item.Target]);
            }
        })).ToList();
        var dropped = studies.Where(x => x.Target < 0).ToList();
        var dropper = Task.Run(async () =>
        {
            for (var i = 0; i < dropped.Count; i++)
            {
                var wait = started + (profile.Faults * i / dropped.Count) - _clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var name = Path.GetFileName(dropped[i].Dir);
                Directory.CreateDirectory(watch[1]);
                Directory.Move(dropped[i].Dir, Path.Combine(watch[1], name));
                foreach (var x in _instances.Values.Where(x => x.Study == dropped[i].Uid))
                {
                    x.DroppedAt = _clock.Elapsed;
                }
            }
        });
        var schedule = Task.Run(async () =>
        {
            foreach (var (at, what, act) in events)
            {
                var wait = started + at - _clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                Log($"{what} (planned at {at.TotalSeconds:0.0} s)");
                await act();
            }
        });

        await Task.WhenAll([schedule, dropper, .. senders]);
        await release;
        Log("faults over");

        // Everything a sender did not hear success for goes again, now that nothing is failing; every one succeeds.
        foreach (var port in scpPorts)
        {
            await WaitForEchoAsync(port);
        }

        var again = _instances.Values.Where(x => x.Target >= 0 && !x.Acknowledged).ToList();
        foreach (var group in again.GroupBy(x => x.Target))
        {
            await SendAsync([.. group.Select(x => x.File)], scpPorts[group.Key]);
        }

        Assert.All(again, x => Assert.True(x.Acknowledged, $"{x.Sop} re-sent: {string.Join(", ", x.Outcomes.Select(o => o.Text))}"));

        // Refusals: each an A700, each in a batch that overlapped the disk-full window.
        var refusals = _instances.Values.SelectMany(x => x.Outcomes.Select(o => (x, o))).Where(p => p.o.Status is { } st && st != 0).ToList();
        Assert.All(refusals, p => Assert.True(p.o.Status == 0xA700 && p.o.Start <= diskFull.End && p.o.End >= diskFull.Start, $"{p.x.Sop}: {p.o.Text} at {p.o.Start.TotalSeconds:0.0}-{p.o.End.TotalSeconds:0.0} s, disk full {diskFull.Start.TotalSeconds:0.0}-{diskFull.End.TotalSeconds:0.0} s"));
        var unanswered = _instances.Values.Sum(x => x.Outcomes.Count(o => o.Status is null));

        // Every instance becomes exactly one scored view. The wait ends when all are there, or when nothing has moved
        // for a minute, so that a lost instance is reported by name rather than as a time-out.
        var expected = _instances.Count;
        var last = -1;
        var quiet = Stopwatch.StartNew();
        await _c.WaitUntilAsync(
            async () =>
            {
                var n = await _c.ScalarAsync<int>("SELECT count(*) FROM views WHERE \"State\" IN (2, 3)");
                if (n != last)
                {
                    last = n;
                    quiet.Restart();
                }

                return (n == expected && await _c.ScalarAsync<int>("SELECT count(*) FROM studies WHERE \"State\" IN (2, 3)") == studies.Count) || quiet.Elapsed > TimeSpan.FromMinutes(1);
            },
            Deadline,
            $"{expected} views of {studies.Count} studies to be scored");
        var views = (await _c.ScalarAsync<string>("SELECT coalesce(string_agg(\"SopInstanceUid\" || '|' || \"State\" || '|' || \"SourcePath\" || '|' || coalesce(\"ScoredAt\"::text, ''), E'\\n'), '') FROM views"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')).ToList();
        var lost = _instances.Keys.Except(views.Select(v => v[0]), StringComparer.Ordinal).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} instances acknowledged or dropped never became a view: {string.Join(", ", lost.Take(20).Select(Describe))}");
        // Each probe instance, sent while the disk was full, was refused with A700 (checked after the losses, so that an
        // acknowledgement given too early is reported as what it costs).
        Assert.NotEmpty(probed);
        Assert.All(probed, p => Assert.True(p.First.Status == 0xA700, $"{p.X.Sop} sent to the full disk: {p.First.Text}"));
        var twice = views.GroupBy(v => v[0], StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} instances became more than one view: {string.Join(", ", twice.Take(20))}");
        Assert.Equal(expected, views.Count);
        Assert.All(views, v => Assert.True(v[1] == "2", $"view {v[0]} ended in state {v[1]}"));

        var scoredTwice = await _c.ScalarAsync<int>("SELECT count(*) FROM (SELECT \"ViewId\" FROM scores GROUP BY \"ViewId\" HAVING count(*) <> 1) d");
        await _c.AssertScoredExactlyOnceAsync(studies.Count, expected);

        // What an operator sees agrees with the tables.
        using (var http = _c.ApiClient(slots.Single(x => x.Role == "api").Process, "operator"))
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative)));
            var root = doc.RootElement;
            Assert.Equal(studies.Count, root.GetProperty("studies").GetProperty("scored").GetInt32());
            Assert.Equal(expected, root.GetProperty("views").GetProperty("scored").GetInt32());
            foreach (var state in new[] { "received", "queued", "failed" })
            {
                Assert.Equal(0, root.GetProperty("views").GetProperty(state).GetInt32());
                Assert.Equal(0, root.GetProperty("studies").GetProperty(state).GetInt32());
            }
        }

        // No message is parked in an error or skipped queue, and nothing is left waiting in the work queues.
        await _c.WaitUntilAsync(() => Task.FromResult(_c.Queues().Where(q => !q.Key.EndsWith("_error", StringComparison.Ordinal) && !q.Key.EndsWith("_skipped", StringComparison.Ordinal)).All(q => q.Value.Ready + q.Value.Unacked == 0)), TimeSpan.FromMinutes(1), "the work queues to drain");
        var parked = _c.Queues().Where(q => (q.Key.EndsWith("_error", StringComparison.Ordinal) || q.Key.EndsWith("_skipped", StringComparison.Ordinal)) && q.Value.Ready > 0).ToList();
        Assert.True(parked.Count == 0, string.Join(", ", parked.Select(q => $"{q.Key}: {q.Value.Ready}")));

        // The figures for README.
        var latest = views.Select(v =>
        {
            var x = _instances[v[0]];
            var scoredAt = ((DateTimeOffset)Stored.ConvertFromProvider(long.Parse(v[3], CultureInfo.InvariantCulture))!).UtcDateTime;
            var receivedAt = x.DroppedAt is { } d ? DateTime.UtcNow - (_clock.Elapsed - d) : File.GetLastWriteTimeUtc(v[2]);
            return scoredAt - receivedAt;
        }).Max();
        var byStore = _instances.Values.Count(x => x.Target >= 0);
        var table = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"| seed | studies | views (C-STORE + folder) | kills (ingest, inference, api, scheduler) | restarts | disk full | refused A700 | cut off by a kill, re-sent | views lost | scored twice | longest receipt to score | wall |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| {seed} | {studies.Count} | {expected} ({byStore} + {expected - byStore}) | {kills.GetValueOrDefault("ingest")}, {kills.GetValueOrDefault("inference")}, {kills.GetValueOrDefault("api")}, {kills.GetValueOrDefault("scheduler")} | PostgreSQL 1, RabbitMQ 1 | {(diskFull.End - diskFull.Start).TotalSeconds:0} s | {refusals.Count} | {unanswered} | {lost.Count} | {scoredTwice} | {latest.TotalSeconds:0.0} s | {_clock.Elapsed.TotalSeconds:0} s |");
        output.WriteLine(table.ToString());
    }

    private static List<string> Ingest(string watch, int port) =>
        ["serve", "--roles", "ingest", "--urls", $"http://127.0.0.1:{Peers.FreePort()}", "--watch", watch, "--scp-port", port.ToString(CultureInfo.InvariantCulture)];

    private static List<string> Serve(string role) => ["serve", "--roles", role, "--urls", $"http://127.0.0.1:{Peers.FreePort()}"];

    private void Log(string what) => _journal.Enqueue($"{(_clock.Elapsed - _started).TotalSeconds,7:0.0} s  {what}");

    private string Describe(string sop)
    {
        var x = _instances[sop];
        return $"{sop} ({(x.Target < 0 ? "dropped" : $"to ingest-{x.Target + 1}")}: {string.Join(", ", x.Outcomes.Select(o => o.Text))})";
    }

    private Task WaitForEchoAsync(int port) => _c.WaitUntilAsync(
        () => Task.FromResult(Peers.Run("echoscu", "-aet", Sender, "-aec", "MURA", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture)).ExitCode == 0),
        TimeSpan.FromMinutes(2),
        $"the receiver on port {port} to answer C-ECHO");

    /// <summary>One `dcmsend` association with every file under <paramref name="paths"/>; each instance's outcome is read from its transfer report.</summary>
    private async Task SendAsync(IReadOnlyList<string> paths, int port)
    {
        var report = Path.Combine(_c.Dir, "reports", $"{Interlocked.Increment(ref _batches):D5}.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*.dcm", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal).ToList();
        var start = _clock.Elapsed;
        var r = await Task.Run(() => Peers.Run("dcmsend", ["-aet", Sender, "-aec", "MURA", "-nh", "-to", "10", "-ta", "30", "-td", "60", "+crf", report, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), .. files], null, null));
        var end = _clock.Elapsed;
        var statuses = File.Exists(report) ? ParseReport(File.ReadAllText(report)) : [];
        var byFile = _instances.Values.ToDictionary(x => x.File, StringComparer.Ordinal);
        foreach (var f in files)
        {
            var x = byFile[f];
            var (status, text) = statuses.TryGetValue(f, out var st) ? st : (null, "not in the report");
            if (status is null)
            {
                text = $"{text} (dcmsend exit {r.ExitCode}: {string.Join(" / ", (r.Stdout + r.Stderr).Split('\n').Where(l => l.StartsWith("E:", StringComparison.Ordinal)).Distinct().Take(3))})";
            }

            lock (x.Outcomes)
            {
                x.Outcomes.Add(new Outcome(status, text, start, end));
            }
        }
    }

    /// <summary>dcmsend's report: blocks of "Field : value"; a DIMSE Status of "0xA700 (...)" is a response, "&lt;not sent&gt;" or "&lt;none&gt;" none.</summary>
    private static Dictionary<string, (ushort? Status, string Text)> ParseReport(string text)
    {
        var result = new Dictionary<string, (ushort?, string)>(StringComparer.Ordinal);
        string? file = null;
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key == "Filename")
            {
                file = value;
            }
            else if (key == "DIMSE Status" && file is not null)
            {
                result[file] = value.StartsWith("0x", StringComparison.Ordinal) ? (ushort.Parse(value.AsSpan(2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture), value) : (null, value);
                file = null;
            }
        }

        return result;
    }

    /// <summary>Writes to <paramref name="path"/> until the filesystem has not a page left: big blocks first, then smaller ones.</summary>
    private static void Fill(string path)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[1 << 20];
        for (var size = block.Length; size >= 512; size /= 2)
        {
            while (true)
            {
                try
                {
                    f.Write(block, 0, size);
                }
                catch (IOException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>A role's process: started, SIGKILLed and started again under the same arguments (and so the same ports).</summary>
    private sealed class Slot(Cluster cluster, string role, string name, List<string> args, Dictionary<string, string>? env = null)
    {
        private int _generation;

        public string Role { get; } = role;

        public string Name { get; } = name;

        public ServeProcess Process { get; private set; } = null!;

        public void Start()
        {
            Process = cluster.Start($"{Name}#{++_generation}", args, env);
            Process.Url = args[args.IndexOf("--urls") + 1];
        }

        public void Kill() => Process.Kill();
    }
}
