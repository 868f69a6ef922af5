using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;
using Xunit.Abstractions;

namespace MuraPipeline.IntegrationTests;

/// <summary>
/// Orthanc as the department's PACS and the distributed mode on the real PostgreSQL and RabbitMQ: `mura pacs find`
/// lists the backlog, `mura pacs pull` brings it in by C-MOVE or by C-GET, the ingest and inference roles score it,
/// and a puller killed mid-job and started again finishes the job without pulling a received study twice.
/// </summary>
public sealed class PacsPullTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);
    private Cluster _c = null!;
    private OrthancServer _orthanc = null!;
    private Dictionary<string, string> _pacs = null!;
    private string _scpPort = null!;

    public async Task InitializeAsync()
    {
        _c = await Cluster.StartAsync(output);
        _scpPort = Peers.FreePort().ToString(CultureInfo.InvariantCulture);
        _orthanc = await OrthancServer.StartAsync(Path.Combine(_c.Dir, "orthanc"), new Dictionary<string, (string, int)> { ["mura"] = ("MURA", int.Parse(_scpPort, CultureInfo.InvariantCulture)) });
        _pacs = new Dictionary<string, string>
        {
            ["Pacs__AeTitle"] = "MURA",
            ["Pacs__Nodes__orthanc__AeTitle"] = OrthancServer.AeTitle,
            ["Pacs__Nodes__orthanc__Host"] = "127.0.0.1",
            ["Pacs__Nodes__orthanc__Port"] = _orthanc.DicomPort.ToString(CultureInfo.InvariantCulture),
            ["Ingest__WatchDir"] = _c.Watch,
            ["Pacs__LeaseSeconds"] = "3",
        };
    }

    public async Task DisposeAsync()
    {
        await _orthanc.DisposeAsync();
        await _c.DisposeAsync();
    }

    /// <summary>Phantom studies loaded into Orthanc; their study UIDs and view count.</summary>
    private async Task<(List<string> Studies, int Views)> LoadAsync(int studies, ulong seed)
    {
        var staging = Path.Combine(_c.Dir, "staging");
        PhantomWriter.WriteAll(new PhantomGenerator(seed, minSide: 300, maxSide: 420), studies, staging, PhantomFormat.Dicom);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories);
        await _orthanc.UploadAsync(files);
        var uids = files.Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.StudyInstanceUid)!).Distinct().Order(StringComparer.Ordinal).ToList();
        return (uids, files.Length);
    }

    private Dictionary<string, string> Pacs(string retrieve) => new(_pacs) { ["Pacs__Nodes__orthanc__Retrieve"] = retrieve };

    private void StartPipeline()
    {
        _c.Serve("ingest", "ingest", new Dictionary<string, string> { ["Scp__Port"] = _scpPort, ["Scp__AeTitle"] = "MURA", ["Scp__AllowedCallingAeTitles"] = OrthancServer.AeTitle });
        _c.Serve("inference", "inference");
    }

    private Task WaitAllScoredAsync(int studies, int views) => _c.WaitUntilAsync(
        async () => await _c.ScalarAsync<int>("SELECT count(*) FROM studies WHERE \"State\" = 2") == studies
            && await _c.ScalarAsync<int>("SELECT count(*) FROM views WHERE \"State\" = 2") == views,
        Deadline,
        $"{studies} pulled studies and {views} views to be scored");

    [Theory]
    [InlineData("move")]
    [InlineData("get")]
    public async Task Find_lists_exactly_the_backlog_and_a_pull_gets_every_study_scored(string retrieve)
    {
        var (studies, views) = await LoadAsync(5, seed: 1601);
        StartPipeline();
        await _c.WaitUntilAsync(() => Task.FromResult(Peers.Run("echoscu", "-aet", OrthancServer.AeTitle, "-aec", "MURA", "127.0.0.1", _scpPort).ExitCode == 0), Deadline, "the receiver to answer C-ECHO");

        var (code, text) = _c.RunMura(Pacs(retrieve), "pacs", "echo", "orthanc");
        Assert.True(code == 0, text);
        (code, text) = _c.RunMura(Pacs(retrieve), "pacs", "find", "orthanc", "--json");
        Assert.True(code == 0, text);
        var found = JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.GetProperty("studyInstanceUid").GetString()!).Order(StringComparer.Ordinal);
        Assert.Equal(studies, found);

        (code, text) = _c.RunMura(Pacs(retrieve), "pacs", "pull", "orthanc", "--max-concurrent", "2");
        Assert.True(code == 0, text);
        Assert.Contains($"{studies.Count} received", text, StringComparison.Ordinal);
        await WaitAllScoredAsync(studies.Count, views);
        Assert.Equal(studies, (await _c.ScalarAsync<string>("SELECT string_agg(\"StudyInstanceUid\", ',' ORDER BY \"StudyInstanceUid\") FROM studies")).Split(',').Order(StringComparer.Ordinal));
        Assert.Equal(studies.Count, await _c.ScalarAsync<int>($"SELECT count(*) FROM pull_studies WHERE \"State\" = 2 AND \"Attempts\" = 1"));
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*)::int FROM audit_events WHERE \"Action\" = 'pull'"));
        foreach (var uid in studies)
        {
            Assert.Equal(1, await _orthanc.RetrievesAsync(uid));
        }

        (code, text) = _c.RunMura(Pacs(retrieve), "pacs", "jobs", "--json");
        Assert.True(code == 0, text);
        var job = Assert.Single(JsonDocument.Parse(text).RootElement.EnumerateArray().ToList());
        Assert.Equal(("done", studies.Count, views), (job.GetProperty("state").GetString(), job.GetProperty("received").GetInt32(), job.GetProperty("retrieved").GetInt32()));
    }

    [Fact]
    public async Task A_PACS_that_caps_its_answers_still_gives_every_study_of_a_backlog_spread_over_days()
    {
        // Orthanc ends a C-FIND with Cancel after 2 matches (LimitFindResults); seven studies on four days, three of them on one day.
        await using var capped = await OrthancServer.StartAsync(Path.Combine(_c.Dir, "capped"), new Dictionary<string, (string, int)> { ["mura"] = ("MURA", int.Parse(_scpPort, CultureInfo.InvariantCulture)) },
            settings: new Dictionary<string, object> { ["LimitFindResults"] = 2 });
        var staging = Path.Combine(_c.Dir, "staging");
        PhantomWriter.WriteAll(new PhantomGenerator(1605, minSide: 300, maxSide: 420), 7, staging, PhantomFormat.Dicom);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories);
        var studies = files.Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.StudyInstanceUid)!).Distinct().Order(StringComparer.Ordinal).ToList();
        int[] day = [0, 1, 1, 2, 2, 2, 5];
        foreach (var f in files)
        {
            var file = DicomFile.Open(f);
            var k = studies.IndexOf(file.Dataset.GetString(DicomTag.StudyInstanceUid)!);
            file.Dataset.AddString(DicomTag.StudyDate, "DA", new DateOnly(2024, 5, 1).AddDays(day[k]).ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            file.Dataset.AddString(DicomTag.StudyTime, "TM", $"{8 + k:00}1500");
            await using var stream = File.Create(f);
            DicomWriter.Write(stream, file);
        }

        await capped.UploadAsync(files);
        var node = new Dictionary<string, string>(Pacs("get")) { ["Pacs__Nodes__orthanc__Port"] = capped.DicomPort.ToString(CultureInfo.InvariantCulture) };
        StartPipeline();

        var (code, text) = _c.RunMura(node, "pacs", "find", "orthanc");
        Assert.True(code == 0, text);
        Assert.Contains("7 studies, complete (", text, StringComparison.Ordinal);
        Assert.Contains("the PACS capped", text, StringComparison.Ordinal);
        (code, text) = _c.RunMura(node, "pacs", "find", "orthanc", "--json");
        Assert.True(code == 0, text);
        Assert.Equal(studies, JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.GetProperty("studyInstanceUid").GetString()!).Order(StringComparer.Ordinal));

        (code, text) = _c.RunMura(node, "pacs", "pull", "orthanc");
        Assert.True(code == 0, text);
        Assert.Contains("7 studies from orthanc", text, StringComparison.Ordinal);
        Assert.Contains("7 received", text, StringComparison.Ordinal);
        await WaitAllScoredAsync(studies.Count, files.Length);
        Assert.Equal(studies, (await _c.ScalarAsync<string>("SELECT string_agg(\"StudyInstanceUid\", ',' ORDER BY \"StudyInstanceUid\") FROM studies")).Split(',').Order(StringComparer.Ordinal));
        Assert.True(await _c.ScalarAsync<int>("SELECT \"SearchQueries\" FROM pull_jobs") > 1);

        // A day the cap cannot be split under: three studies in the same second, and a cap of 2.
        foreach (var f in files.Where(f => day[studies.IndexOf(DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.StudyInstanceUid)!)] == 2))
        {
            var file = DicomFile.Open(f);
            file.Dataset.AddString(DicomTag.StudyTime, "TM", "101500");
            await using var stream = File.Create(f);
            DicomWriter.Write(stream, file);
        }

        await using var crowded = await OrthancServer.StartAsync(Path.Combine(_c.Dir, "crowded"), new Dictionary<string, (string, int)> { ["mura"] = ("MURA", int.Parse(_scpPort, CultureInfo.InvariantCulture)) }, settings: new Dictionary<string, object> { ["LimitFindResults"] = 2 });
        await crowded.UploadAsync(files);
        var crowdedNode = new Dictionary<string, string>(node) { ["Pacs__Nodes__orthanc__Port"] = crowded.DicomPort.ToString(CultureInfo.InvariantCulture) };
        (code, text) = _c.RunMura(crowdedNode, "pacs", "pull", "orthanc");
        Assert.NotEqual(0, code);
        Assert.Contains("2024-05-03 10:15:00-10:15:00", text, StringComparison.Ordinal);
        Assert.Contains("after 2 studies", text, StringComparison.Ordinal);
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*)::int FROM pull_jobs"));
    }

    [Fact]
    public async Task A_mixed_backlog_pulled_from_Orthanc_scores_only_the_seven_and_sets_the_rest_aside()
    {
        // Upper extremity labelled three ways; a knee and a chest the series query names (never retrieved); a foot only
        // the study's own description names (retrieved, then set aside at ingest).
        (string? Part, string? Description, string Expect)[] plan =
        [
            ("WRIST", null, "scored"),
            (null, "XR HAND 2V RT", "scored"),
            ("UPPER EXTREMITY", "XR ELBOW RT", "scored"),
            ("KNEE", "XR KNEE 2V", "skipped"),
            ("CHEST", null, "skipped"),
            (null, "XR FOOT 3V LT", "out_of_scope"),
        ];
        var staging = Path.Combine(_c.Dir, "staging");
        PhantomWriter.WriteAll(new PhantomGenerator(1636, minSide: 300, maxSide: 420), plan.Length, staging, PhantomFormat.Dicom);
        var studies = PhantomWriter.Relabel(staging, [.. plan.Select(p => (p.Part, p.Description))]);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories);
        var views = new int[plan.Length];
        foreach (var f in files)
        {
            views[studies.IndexOf(DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.StudyInstanceUid)!)]++;
        }

        await _orthanc.UploadAsync(files);
        StartPipeline();
        var (code, text) = _c.RunMura(Pacs("get"), "pacs", "pull", "orthanc");
        Assert.True(code == 0, text);
        Assert.Contains($"{plan.Length} studies from orthanc", text, StringComparison.Ordinal);

        int Count(string expect) => plan.Count(p => p.Expect == expect);
        int Views(string expect) => Enumerable.Range(0, plan.Length).Where(k => plan[k].Expect == expect).Sum(k => views[k]);
        await _c.WaitUntilAsync(
            async () => await _c.ScalarAsync<int>("SELECT count(*)::int FROM studies WHERE \"State\" = 2") == Count("scored")
                && await _c.ScalarAsync<int>("SELECT count(*)::int FROM studies WHERE \"State\" = 4") == Count("out_of_scope"),
            Deadline,
            "the upper-extremity studies to be scored and the foot set aside");
        for (var k = 0; k < plan.Length; k++)
        {
            var uid = studies[k];
            var row = await _c.ScalarAsync<string>($"SELECT coalesce(string_agg(\"State\"::text || '|' || coalesce(\"Abnormal\"::text, '-') || '|' || coalesce(\"BodyPartSource\", '-'), ','), 'none') FROM studies WHERE \"StudyInstanceUid\" = '{uid}'");
            switch (plan[k].Expect)
            {
                case "scored":
                    Assert.StartsWith("2|", row, StringComparison.Ordinal);
                    Assert.Equal(1, await _orthanc.RetrievesAsync(uid));
                    break;
                case "skipped":
                    // Never retrieved: the series query said knee or chest, so every instance stayed on the PACS.
                    Assert.Equal("none", row);
                    Assert.Equal(0, await _orthanc.RetrievesAsync(uid));
                    Assert.Equal(views[k], await _c.ScalarAsync<int>($"SELECT \"Skipped\" FROM pull_studies WHERE \"StudyInstanceUid\" = '{uid}'"));
                    break;
                default:
                    // Retrieved (nothing at series level said foot), then set aside: never scored, never called normal.
                    Assert.Equal("4|-|description", row);
                    Assert.Equal(views[k], await _c.ScalarAsync<int>($"SELECT count(*)::int FROM views v JOIN studies s ON s.\"Id\" = v.\"StudyId\" WHERE s.\"StudyInstanceUid\" = '{uid}' AND v.\"State\" = 4 AND v.\"Probability\" IS NULL"));
                    break;
            }
        }

        Assert.Equal(Views("scored"), await _c.ScalarAsync<int>("SELECT count(*)::int FROM views WHERE \"State\" = 2"));
        Assert.Equal(
            new[] { "description", "description", "dicom" },
            (await _c.ScalarAsync<string>("SELECT string_agg(\"BodyPartSource\", ',' ORDER BY \"BodyPartSource\") FROM studies WHERE \"State\" = 2")).Split(','));
        (code, text) = _c.RunMura(Pacs("get"), "status", "--json");
        Assert.True(code == 0, text);
        Assert.Equal(Count("out_of_scope"), JsonDocument.Parse(text).RootElement.GetProperty("studies").GetProperty("out_of_scope").GetInt32());
    }

    [Fact]
    public async Task A_full_inbox_pauses_a_running_pull_and_refuses_stores_with_A700_and_both_resume_when_space_is_back()
    {
        // The inbox is a 48 MB tmpfs that must keep 20 MB free; a ballast file beside it takes the space away and gives it back.
        var volume = Path.Combine(_c.Dir, "volume");
        var inbox = Path.Combine(volume, "inbox");
        Directory.CreateDirectory(volume);
        var mount = Peers.Run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", volume);
        Assert.True(mount.ExitCode == 0, mount.Stderr);
        try
        {
            Directory.CreateDirectory(inbox);
            var ballast = Path.Combine(volume, "ballast");
            await using (var fill = File.Create(ballast))
            {
                // Written, not sized: tmpfs gives a sparse file no pages.
                var chunk = new byte[1 << 20];
                for (var left = new DriveInfo(volume).AvailableFreeSpace - (10L << 20); left > 0; left -= chunk.Length)
                {
                    await fill.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
                }
            }

            Assert.InRange(new DriveInfo(volume).AvailableFreeSpace, 8L << 20, 12L << 20);

            var (pulled, pulledViews) = await LoadAsync(3, seed: 1607);
            var staging = Path.Combine(_c.Dir, "direct");
            PhantomWriter.WriteAll(new PhantomGenerator(1608, minSide: 300, maxSide: 420), 1, staging, PhantomFormat.Dicom);
            var direct = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories);
            var storage = new Dictionary<string, string> { ["Storage__MinFreeMegabytes"] = "20", ["Storage__MinFreePercent"] = "0", ["Ingest__WatchDir"] = inbox };
            var url = $"http://127.0.0.1:{Peers.FreePort()}";
            _c.Start("ingest", ["serve", "--roles", "ingest", "--urls", url, "--watch", inbox], new Dictionary<string, string>(storage)
            {
                ["Scp__Port"] = _scpPort, ["Scp__AeTitle"] = "MURA", ["Scp__AllowedCallingAeTitles"] = $"{OrthancServer.AeTitle},TESTER",
            });
            _c.Serve("inference", "inference");
            var schedulerEnv = new Dictionary<string, string>(Pacs("move"))
            {
                ["Export__PseudonymKey"] = "a pseudonym key for the storage test", ["Export__Folder"] = Path.Combine(_c.Dir, "exports"),
            };
            foreach (var (key, value) in storage)
            {
                schedulerEnv[key] = value;
            }

            var scheduler = _c.Serve("scheduler", "scheduler", schedulerEnv);
            var client = new DicomClient("127.0.0.1", int.Parse(_scpPort, CultureInfo.InvariantCulture), "TESTER", "MURA");
            await _c.WaitUntilAsync(async () => { try { return await client.EchoAsync(default) == 0; } catch (Exception ex) when (ex is DicomProtocolException or System.Net.Sockets.SocketException) { return false; } }, Deadline, "the receiver to answer C-ECHO");

            // Below the watermark: a store is refused with Out of Resources, and nothing of it is written.
            var refused = Assert.Single(await client.StoreAsync(direct.Take(1).ToList(), default));
            Assert.Equal((ushort)0xA700, refused.Status);
            Assert.Contains("inbox volume", refused.Error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(inbox, "*.dcm", SearchOption.AllDirectories));

            // A pull recorded now waits for space: the job stays active, no study is claimed.
            var (code, text) = _c.RunMura(Pacs("move"), "pacs", "pull", "orthanc", "--detach");
            Assert.True(code == 0, text);
            await _c.WaitUntilAsync(() => Task.FromResult(scheduler.Log.Contains("paused: the inbox volume", StringComparison.Ordinal)), Deadline, "the pull to pause");
            Assert.Equal(pulled.Count, await _c.ScalarAsync<int>("SELECT count(*)::int FROM pull_studies WHERE \"State\" = 0 AND \"Attempts\" = 0"));

            // Space is back: the pull goes on by itself, the receiver takes the store, every acknowledged instance is scored once.
            File.Delete(ballast);
            await _c.WaitUntilAsync(() => Task.FromResult(scheduler.Log.Contains("goes on: space is back", StringComparison.Ordinal)), Deadline, "the pull to resume");
            var accepted = await client.StoreAsync(direct, default);
            Assert.All(accepted, o => Assert.True(o.Succeeded, $"{o.Status:X4} {o.Error}"));
            await WaitAllScoredAsync(pulled.Count + 1, pulledViews + direct.Length);
            Assert.Equal(pulledViews + direct.Length, await _c.ScalarAsync<int>("SELECT count(DISTINCT \"ViewId\")::int FROM scores"));
            Assert.Equal(pulledViews + direct.Length, await _c.ScalarAsync<int>("SELECT count(*)::int FROM scores"));
            Assert.Equal(pulled.Count, await _c.ScalarAsync<int>("SELECT count(*)::int FROM pull_studies WHERE \"State\" = 2"));
        }
        finally
        {
            Peers.Run("umount", "-l", volume);
        }
    }

    [Fact]
    public async Task Results_go_back_into_the_source_studies_once_each_though_the_first_association_is_refused()
    {
        var (studies, views) = await LoadAsync(3, seed: 1603);
        StartPipeline();
        await _c.WaitUntilAsync(() => Task.FromResult(Peers.Run("echoscu", "-aet", OrthancServer.AeTitle, "-aec", "MURA", "127.0.0.1", _scpPort).ExitCode == 0), Deadline, "the receiver to answer C-ECHO");
        var (code, text) = _c.RunMura(Pacs("get"), "pacs", "pull", "orthanc");
        Assert.True(code == 0, text);
        await WaitAllScoredAsync(studies.Count, views);

        await using var proxy = new RefusingProxy(_orthanc.DicomPort, refuse: 1);
        var results = new Dictionary<string, string>
        {
            ["Results__Destinations__pacs__AeTitle"] = OrthancServer.AeTitle,
            ["Results__Destinations__pacs__Host"] = "127.0.0.1",
            ["Results__Destinations__pacs__Port"] = proxy.Port.ToString(CultureInfo.InvariantCulture),
            ["Results__UidRoot"] = "1.2.826.0.1.3680043.10.1414",
            ["Results__RetryDelaySeconds"] = "0.5",
            ["Results__ScanIntervalMs"] = "300",
        };
        _c.Serve("results", "results", results);
        var objects = studies.Count + views; // one SR per study and one capture per view
        await _c.WaitUntilAsync(async () => await _c.ScalarAsync<int>("SELECT count(*) FROM result_deliveries WHERE \"State\" = 1") == objects, Deadline, $"{objects} result objects to be sent");

        Assert.Equal(1, proxy.Refused);
        Assert.Equal(objects, proxy.Stores.Count);
        Assert.Equal(objects, proxy.Stores.Distinct().Count());
        Assert.Equal(objects, await _c.ScalarAsync<int>("SELECT count(*) FROM result_objects"));
        Assert.True(await _c.ScalarAsync<int>("SELECT count(*) FROM result_deliveries WHERE \"Attempts\" = 2 AND \"LastError\" IS NULL") >= 1, "the first batch was tried twice");

        // Orthanc files them into the source studies: each study has its image series, an SR series and a capture series.
        foreach (var uid in studies)
        {
            var study = await (await _orthanc.Http.GetAsync($"studies/{await _orthanc.StudyIdAsync(uid)}/series")).Content.ReadFromJsonAsync<JsonElement>();
            var modalities = study.EnumerateArray().Select(s => s.GetProperty("MainDicomTags").GetProperty("Modality").GetString()).Order(StringComparer.Ordinal).ToList();
            Assert.Contains("SR", modalities);
            Assert.Contains("OT", modalities);
            Assert.Equal(3, modalities.Count);
        }

        // The same objects, as files: `mura results export` writes exactly what was sent.
        var export = Path.Combine(_c.Dir, "results-export");
        (code, text) = _c.RunMura(results, "results", "export", "--out", export);
        Assert.True(code == 0, text);
        var exported = Directory.GetFiles(export, "*.dcm", SearchOption.AllDirectories).Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)!).Order(StringComparer.Ordinal);
        Assert.Equal(proxy.Stores.Order(StringComparer.Ordinal), exported);
        (code, text) = _c.RunMura(results, "results", "list", "--json");
        Assert.True(code == 0, text);
        Assert.All(JsonDocument.Parse(text).RootElement.EnumerateArray(), e => Assert.Equal("sent", e.GetProperty("deliveries")[0].GetProperty("state").GetString()));
        (code, text) = _c.RunMura(results, "status", "--json");
        Assert.True(code == 0, text);
        Assert.Equal(objects, JsonDocument.Parse(text).RootElement.GetProperty("results").GetProperty("sent").GetInt32());
    }

    [Fact]
    public async Task A_puller_killed_mid_job_resumes_and_no_received_study_is_pulled_twice()
    {
        var (studies, views) = await LoadAsync(8, seed: 1602);
        StartPipeline();
        await _c.WaitUntilAsync(() => Task.FromResult(Peers.Run("echoscu", "-aet", OrthancServer.AeTitle, "-aec", "MURA", "127.0.0.1", _scpPort).ExitCode == 0), Deadline, "the receiver to answer C-ECHO");

        // Paced to one study every 1.5 s, so the kill lands mid-job.
        var puller = _c.Start("puller", ["pacs", "pull", "orthanc", "--studies-per-minute", "40"], Pacs("move"));
        await _c.WaitUntilAsync(async () => await _c.ScalarAsync<int>("SELECT count(*) FROM pull_studies WHERE \"State\" = 2") >= 3, Deadline, "three studies to be received");
        puller.Kill();
        var before = (await _c.ScalarAsync<string>("SELECT coalesce(string_agg(\"StudyInstanceUid\", ','), '') FROM pull_studies WHERE \"State\" = 2")).Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(before.Length, 3, studies.Count - 1);
        var job = await _c.ScalarAsync<string>("SELECT \"Id\"::text FROM pull_jobs");

        var (code, text) = _c.RunMura(Pacs("move"), "pacs", "pull", "--resume", job);
        Assert.True(code == 0, text);
        await WaitAllScoredAsync(studies.Count, views);
        Assert.Equal(studies.Count, await _c.ScalarAsync<int>("SELECT count(*) FROM pull_studies WHERE \"State\" = 2"));
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*) FROM pull_jobs WHERE \"State\" = 1"));

        // Orthanc's own log: a study received before the kill was never sent again; at most the one in flight was sent twice.
        var retrieves = new Dictionary<string, int>();
        foreach (var uid in studies)
        {
            retrieves[uid] = await _orthanc.RetrievesAsync(uid);
        }

        Assert.All(before, uid => Assert.Equal(1, retrieves[uid]));
        Assert.All(retrieves.Values, n => Assert.InRange(n, 1, 2));
        Assert.InRange(retrieves.Values.Count(n => n == 2), 0, 1);

        // Whatever arrived twice was ingested once.
        Assert.Equal(views, await _c.ScalarAsync<int>("SELECT count(*) FROM scores"));
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT count(*) FROM (SELECT \"ViewId\" FROM scores GROUP BY \"ViewId\" HAVING count(*) <> 1) d"));
    }
}
