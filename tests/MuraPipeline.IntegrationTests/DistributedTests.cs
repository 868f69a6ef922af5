using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Evaluation;
using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;
using Xunit.Abstractions;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace MuraPipeline.IntegrationTests;

/// <summary>
/// The distributed mode end to end: `mura serve` processes on the real RabbitMQ and PostgreSQL, fed through the watched
/// folder, with processes killed and the database restarted under them. Every check of "exactly once" is made in SQL.
/// </summary>
public sealed partial class DistributedTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(6);
    private Cluster _c = null!;

    public async Task InitializeAsync() => _c = await Cluster.StartAsync(output);

    public async Task DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task Hundred_studies_through_one_ingest_and_two_inference_workers_are_each_scored_once_as_the_mean_of_their_views()
    {
        var views = Stage(100, seed: 301);
        ServeProcess[] processes = [_c.Serve("ingest", "ingest"), _c.Serve("inference-1", "inference"), _c.Serve("inference-2", "inference"), _c.Serve("api", "api"), _c.Serve("scheduler", "scheduler", new Dictionary<string, string> { ["Export__PseudonymKey"] = "a pseudonym key for this test", ["Export__Folder"] = Path.Combine(_c.Dir, "exports") })];
        using var prometheus = PrometheusServer.Start(processes);
        // Both workers are consuming before the first study goes out, so that both take a share (checked below).
        await _c.WaitUntilAsync(() => Task.FromResult(_c.Queues().TryGetValue("score-views", out var q) && q.Consumers == 2), Deadline, "both inference workers' queue");
        Drop();

        await WaitAllScoredAsync(100, views);
        await _c.AssertScoredExactlyOnceAsync(100, views);
        // The derivatives (PNGs, already deflated) are stored as they are, not put through PostgreSQL's compressor again.
        Assert.Equal(views, await _c.ScalarAsync<int>("SELECT count(*) FROM view_images"));
        Assert.Equal("e", await _c.ScalarAsync<string>("SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'view_images'::regclass AND attname = 'Png'"));
        Assert.Empty(Directory.EnumerateFiles(_c.Watch, "*", SearchOption.AllDirectories));
        Assert.Equal(views, Directory.EnumerateFiles(_c.Watch + ".archive", "*.dcm", SearchOption.AllDirectories).Count());

        // Both workers took a share of the queue.
        var queues = _c.Queues();
        Assert.Equal(2, queues["score-views"].Consumers);

        // `mura status --json` reports the same counts in the documented shape, and the queues with their consumers.
        await _c.WaitUntilAsync(
            () =>
            {
                var (code, text) = _c.RunMura("status", "--json");
                Assert.Equal(0, code);
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                Assert.Equal(100, root.GetProperty("studies").GetProperty("scored").GetInt32());
                Assert.Equal(views, root.GetProperty("views").GetProperty("scored").GetInt32());
                foreach (var state in new[] { "received", "queued", "failed" })
                {
                    Assert.Equal(0, root.GetProperty("views").GetProperty(state).GetInt32());
                    Assert.Equal(0, root.GetProperty("studies").GetProperty(state).GetInt32());
                }

                var score = root.GetProperty("queues").EnumerateArray().SingleOrDefault(q => q.GetProperty("name").GetString() == "score-views");
                return Task.FromResult(score.ValueKind == JsonValueKind.Object && score.GetProperty("consumers").GetInt32() == 2 && score.GetProperty("ready").GetInt64() == 0);
            },
            TimeSpan.FromSeconds(30),
            "mura status --json to show score-views with two consumers (the management API samples every few seconds)");

        // An instance that arrives after its study was scored re-opens the study, and the score is recomputed over all its views.
        var (studyUid, extra) = AnotherInstanceOfAScoredStudy();
        var before = await _c.ScalarAsync<int>($"SELECT \"ViewCount\" FROM studies WHERE \"StudyInstanceUid\" = '{studyUid}'");
        File.Move(extra, Path.Combine(_c.Watch, "late.dcm"));
        await _c.WaitUntilAsync(
            async () => await _c.ScalarAsync<int>($"SELECT count(*) FROM studies WHERE \"StudyInstanceUid\" = '{studyUid}' AND \"State\" = 2 AND \"ViewCount\" = {before + 1}") == 1,
            Deadline,
            "the late instance's study to be scored again");
        await _c.AssertScoredExactlyOnceAsync(100, views + 1);

        // Prometheus scrapes every role, promtool accepts each exposition, and the scored-views counters of the two
        // inference workers add up to the database's count.
        using var http = new HttpClient();
        foreach (var p in processes)
        {
            var (code, stdout, stderr) = Peers.Run("promtool", ["check", "metrics"], null, null, await http.GetStringAsync(new Uri($"{p.Url}/metrics")));
            Assert.True(code == 0, $"{p.Name}: {stdout}{stderr}");
        }

        var scored = await _c.ScalarAsync<long>("SELECT count(*) FROM views WHERE \"State\" = 2");
        await _c.WaitUntilAsync(
            async () => await prometheus.QueryAsync("count(up == 1)") == processes.Length && await prometheus.QueryAsync("sum(mura_views_scored_total)") == scored,
            Deadline,
            $"Prometheus to scrape all {processes.Length} processes and sum mura_views_scored_total to {scored}");
        Assert.Equal(views + 1, await prometheus.QueryAsync("sum(mura_files_ingested_total)"));
        Assert.Equal(2, await prometheus.QueryAsync("count(mura_active_model_info == 1)"));

        // Every console page answers on PostgreSQL (the pages' queries are translated by Npgsql here, SQLite elsewhere).
        using var admin = _c.ApiClient(processes[3], "admin");
        var top = await _c.ScalarAsync<string>("SELECT \"StudyInstanceUid\" FROM studies WHERE \"State\" = 2 ORDER BY \"Score\" DESC LIMIT 1");
        foreach (var page in new[] { "/overview", "/worklist", "/worklist?mismatch=yes&verdict=no&body_part=WRIST&abnormal=yes", "/failures", "/models", "/exports", "/audit", "/admin", "/settings", "/api/overview", $"/studies/{top}" })
        {
            using var response = await admin.GetAsync(new Uri(page, UriKind.Relative));
            Assert.True(response.IsSuccessStatusCode, $"GET {page}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using (var worklist = await admin.GetAsync(new Uri("/worklist?size=500", UriKind.Relative)))
        {
            Assert.Equal(100, System.Text.RegularExpressions.Regex.Count(await worklist.Content.ReadAsStringAsync(), "<tr data-study="));
        }
    }

    [Fact]
    public async Task Inference_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_scores_nothing_twice()
    {
        var views = Stage(40, seed: 302);
        _c.Serve("ingest", "ingest");

        // Held mid-run on purpose, not by luck (the pipeline scores these views within about a second, less than one
        // look at the broker's queues): batches of two thirds of the views, and a partial batch waits up to a minute.
        // The first batch is scored; the rest sit delivered and unacknowledged in the second until the kill.
        var batch = Math.Max(8, views * 2 / 3);
        var doomed = _c.Serve("inference-doomed", "inference", new Dictionary<string, string>
        {
            ["Inference__BatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
            ["Inference__BatchTimeLimitMs"] = "60000",
        });
        Drop();

        // Kill it while it holds unacknowledged views and has already scored some.
        await _c.WaitUntilAsync(
            async () => await _c.ScalarAsync<int>("SELECT count(*) FROM scores") >= 8 && _c.Queues().TryGetValue("score-views", out var q) && q.Unacked > 0,
            Deadline,
            "the doomed worker to be mid-run with unacknowledged views");
        doomed.Kill();
        var scoredAtKill = await _c.ScalarAsync<int>("SELECT count(*) FROM scores");
        Assert.True(scoredAtKill < views, "the run ended before the kill; the test proves nothing");

        _c.Serve("inference-survivor", "inference");
        await WaitAllScoredAsync(40, views);
        await _c.AssertScoredExactlyOnceAsync(40, views);
        Assert.Equal(0, _c.Queues()["score-views"].Ready + _c.Queues()["score-views"].Unacked);
    }

    [Fact]
    public async Task Views_queued_before_any_inference_worker_exists_wait_in_the_score_queue_and_are_scored_when_one_starts()
    {
        // A first deployment, or a fresh virtual host: the ingest runs, and no inference worker has ever declared its queue.
        var views = Stage(10, seed: 306);
        _c.Serve("ingest", "ingest");
        Drop();
        await _c.WaitUntilAsync(
            async () => await _c.ScalarAsync<int>($"SELECT count(*) FROM views WHERE \"State\" = {(int)ViewState.Queued}") == views,
            Deadline,
            $"all {views} views to be queued with no inference worker running");

        // The messages wait in score-views (declared by the publisher), not dropped for want of a bound queue.
        await _c.WaitUntilAsync(
            () => Task.FromResult(_c.Queues().TryGetValue("score-views", out var q) && q.Ready == views && q.Consumers == 0),
            TimeSpan.FromSeconds(30),
            $"{views} messages ready in score-views with no consumer (the management API samples every few seconds)");

        _c.Serve("inference", "inference");
        await WaitAllScoredAsync(10, views);
        await _c.AssertScoredExactlyOnceAsync(10, views);
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT coalesce(max(\"Requeues\"), 0) FROM views")); // none waited for the reconciler
    }

    [Fact]
    public async Task PostgreSQL_restarted_in_the_middle_of_a_run_resumes_and_nothing_is_lost_or_duplicated()
    {
        var views = Stage(80, seed: 303);
        _c.Serve("ingest", "ingest");
        _c.Serve("inference", "inference");
        Drop();

        await _c.WaitUntilAsync(async () => await _c.ScalarAsync<int>("SELECT count(*) FROM scores") >= 5, Deadline, "scoring to start");
        var cluster = Peers.Run("pg_lsclusters", "--no-header").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(await _c.ScalarAsync<int>("SELECT count(*) FROM scores") < views, "the run ended before the restart; the test proves nothing");
        var restart = Peers.Run("pg_ctlcluster", cluster[0], cluster[1], "restart", "-m", "fast");
        Assert.True(restart.ExitCode == 0, restart.Stderr);

        await WaitAllScoredAsync(80, views);
        await _c.AssertScoredExactlyOnceAsync(80, views);
    }

    [Fact]
    public async Task Workers_started_while_PostgreSQL_is_down_wait_for_it_with_a_warning_then_score_every_study_once()
    {
        var views = Stage(12, seed: 305);
        var cluster = Peers.Run("pg_lsclusters", "--no-header").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var stop = Peers.Run("pg_ctlcluster", cluster[0], cluster[1], "stop", "-m", "fast");
        Assert.True(stop.ExitCode == 0, stop.Stderr);
        ServeProcess[] workers;
        try
        {
            // As an orchestrator restarting a worker while the database restarts: each start finds no database.
            workers = [_c.Serve("ingest", "ingest"), _c.Serve("inference", "inference")];
            await _c.WaitUntilAsync(
                () => Task.FromResult(workers.All(w => w.Log.Contains("is not reachable yet", StringComparison.Ordinal))),
                Deadline,
                "both workers to report the database missing (a worker that exits instead fails the wait)");
        }
        finally
        {
            var start = Peers.Run("pg_ctlcluster", cluster[0], cluster[1], "start");
            Assert.True(start.ExitCode == 0, start.Stderr);
        }

        Drop();
        await WaitAllScoredAsync(12, views);
        await _c.AssertScoredExactlyOnceAsync(12, views);
        Assert.All(workers, w => Assert.False(w.Exited, $"{w.Name} exited ({w.ExitCode}):\n{w.Tail(20)}"));
    }

    [Fact]
    public async Task RabbitMQ_restarted_in_the_middle_of_a_run_the_workers_reconnect_and_nothing_is_lost_or_duplicated()
    {
        // Enough studies that the run outlasts the broker's restart (the pipeline scores a few dozen views a second here).
        var views = Stage(100, seed: 304);

        // A delivery the broker still counts as unacknowledged on a dead channel after the restart is the reconciler's
        // to re-send ("a lost message costs time, never data"): here after 20 s rather than the default 10 minutes.
        _c.Serve("ingest", "ingest", new Dictionary<string, string> { ["Ingest__ReconcileAfterSeconds"] = "20", ["Ingest__ReconcileIntervalMs"] = "2000" });
        _c.Serve("inference", "inference");
        Drop();

        await _c.WaitUntilAsync(async () => await _c.ScalarAsync<int>("SELECT count(*) FROM scores") >= 5, Deadline, "scoring to start");

        // The run must still be going when the broker stops. (Checked before the stop: views the worker already holds
        // are scored while the broker is down, so a count taken after the restart can reach the total legitimately.)
        Assert.True(await _c.ScalarAsync<int>("SELECT count(*) FROM scores") < views, "the run ended before the restart; the test proves nothing");
        var stop = Peers.Run("rabbitmqctl", "-q", "stop_app");
        Assert.True(stop.ExitCode == 0, stop.Stderr);
        var start = Peers.Run("rabbitmqctl", "-q", "start_app");
        Assert.True(start.ExitCode == 0, start.Stderr);

        await WaitAllScoredAsync(100, views);
        await _c.AssertScoredExactlyOnceAsync(100, views);
    }

    [Fact]
    public async Task Replicas_recording_the_same_outcomes_at_once_score_each_view_once_and_complete_each_study_once()
    {
        // Six studies of three views, queued. Four stores on their own connections (four replicas) record overlapping
        // batches at the same moment, each in its own order, with one view failing; every round is a fresh study pair.
        await using var services = new ServiceCollection().AddMuraDatabase(new DatabaseTarget(_c.ConnectionString, "unused.db")).AddThresholdPolicy(new ConfigurationBuilder().Build()).BuildServiceProvider();
        var policy = services.GetRequiredService<IThresholdPolicy>();
        MuraDbContext Context()
        {
            var options = new DbContextOptionsBuilder<MuraDbContext>();
            options.UsePostgres(_c.ConnectionString);
            return new MuraDbContext(options.Options);
        }

        await using var setup = Context();
        var registrar = new StudyStore(setup, TimeProvider.System, policy);
        var completed = new List<CompletedStudy>();
        for (var round = 0; round < 3; round++)
        {
            var outcomes = new List<ViewOutcome>();
            for (var st = 0; st < 2; st++)
            {
                var uid = $"1.2.826.0.1.3680043.10.543.9.{round}.{st}";
                for (var i = 0; i < 3; i++)
                {
                    var r = await registrar.RegisterAsync(new InstanceFile(uid, "dicom", "WRIST", "P1", $"{uid}.{i}", null, $"/in/{uid}.{i}", $"/in/{uid}.{i}"), new Derivative([1, 2, 3], 1, 1, 1, 1), null, default);
                    await new StudyQueue(registrar.Db, TimeProvider.System).MarkViewsQueuedAsync([r.ViewId], default);
                    outcomes.Add(st == 1 && i == 2
                        ? new ViewOutcome(r.ViewId, null, null, "derivative image is unreadable: test", null)
                        : new ViewOutcome(r.ViewId, 0.1 + (0.1 * i) + (0.2 * st), "WRIST", null, null));
                }
            }

            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var replicas = Enumerable.Range(0, 4).Select(k => Task.Run(async () =>
            {
                await using var db = Context();
                var store = new StudyStore(db, TimeProvider.System, policy);
                var mine = outcomes.Where((_, j) => (j + k) % 4 != 0).OrderBy(o => (o.ViewId.GetHashCode() * (k + 1)) % 97).ToList();
                await db.Database.OpenConnectionAsync();
                await gate.Task;
                return await store.RecordOutcomesAsync(mine, "sha", Guid.NewGuid(), default);
            })).ToList();
            gate.SetResult();
            foreach (var r in await Task.WhenAll(replicas))
            {
                completed.AddRange(r);
            }
        }

        Assert.Equal(6, completed.Count);
        Assert.Equal(6, completed.Select(c => c.StudyId).Distinct().Count());
        Assert.All(completed, c => Assert.Equal((c.StudyInstanceUid.EndsWith(".1", StringComparison.Ordinal) ? 2 : 3, c.StudyInstanceUid.EndsWith(".1", StringComparison.Ordinal) ? 1 : 0), (c.ScoredViews, c.FailedViews)));
        Assert.Equal(15, await _c.ScalarAsync<int>("SELECT count(*) FROM scores"));
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT count(*) FROM (SELECT \"ViewId\" FROM scores GROUP BY \"ViewId\" HAVING count(*) <> 1) d"));
        Assert.Equal(18, await _c.ScalarAsync<int>("SELECT count(*) FROM views WHERE \"Attempts\" = 1 AND \"State\" IN (2, 3)"));
        Assert.Equal(6, await _c.ScalarAsync<int>("SELECT count(*) FROM studies WHERE \"State\" = 2 AND \"ScoredViews\" + \"FailedViews\" = \"ViewCount\" AND \"ModelSha256\" = 'sha'"));
        Assert.Equal(0, await _c.ScalarAsync<int>("SELECT count(*) FROM studies s WHERE abs(s.\"Score\" - (SELECT avg(\"Probability\") FROM views v WHERE v.\"StudyId\" = s.\"Id\" AND v.\"State\" = 2)) > 1e-12"));
        // The means: 0.1, 0.2, 0.3 for the first study of a round; 0.3, 0.4 and a failed view for the second.
        Assert.All(completed, c => Assert.Equal(c.StudyInstanceUid.EndsWith(".1", StringComparison.Ordinal) ? 0.35 : 0.2, c.Score!.Value, 12));
    }

    [Fact]
    public async Task An_unreadable_derivative_fails_its_view_once_with_the_reason_without_retries_or_the_error_queue_and_the_rest_of_the_batch_is_scored()
    {
        _c.Serve("inference", "inference");
        await _c.WaitUntilAsync(() => Task.FromResult(_c.Queues().TryGetValue("score-views", out var q) && q.Consumers == 1), Deadline, "the inference worker's queue");

        // Four views of one study, queued; the third one's derivative is corrupt (its PNG fails its CRC).
        var options = new DbContextOptionsBuilder<MuraDbContext>();
        options.UsePostgres(_c.ConnectionString);
        await using var db = new MuraDbContext(options.Options);
        await using var services = new ServiceCollection().AddMuraDatabase(new DatabaseTarget(_c.ConnectionString, "unused.db")).AddThresholdPolicy(new ConfigurationBuilder().Build()).BuildServiceProvider();
        var store = new StudyStore(db, TimeProvider.System, services.GetRequiredService<IThresholdPolicy>());
        const string StudyUid = "1.2.826.0.1.3680043.10.543.1";
        var messages = new List<ViewQueued>();
        for (var i = 0; i < 4; i++)
        {
            var png = Png.Encode(Gradient(200 + (i * 10), 160));
            if (i == 2)
            {
                png[png.Length / 2] ^= 0xFF;
            }

            var sop = $"{StudyUid}.{i}";
            var view = await store.RegisterAsync(new InstanceFile(StudyUid, "dicom", "WRIST", "P1", sop, null, $"/in/{i}.dcm", $"/in/{i}.dcm"), new Derivative(png, 200, 160, 200, 160), null, default);
            await new StudyQueue(store.Db, TimeProvider.System).MarkViewsQueuedAsync([view.ViewId], default);
            messages.Add(new ViewQueued(view.ViewId, view.StudyId, StudyUid, sop, "WRIST", png));
        }

        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host("127.0.0.1", 5672, _c.Id, h =>
        {
            h.Username("guest");
            h.Password("guest");
        }));
        await bus.StartAsync();
        try
        {
            await bus.PublishBatch(messages);
        }
        finally
        {
            await bus.StopAsync();
        }

        await _c.WaitUntilAsync(
            async () => await _c.ScalarAsync<int>($"SELECT count(*) FROM studies WHERE \"Id\" = '{messages[0].StudyId}' AND \"State\" = 2") == 1,
            Deadline,
            "the study to complete");
        Assert.Equal(3, await _c.ScalarAsync<int>("SELECT count(*) FROM views WHERE \"State\" = 2"));
        var error = await _c.ScalarAsync<string>($"SELECT \"Error\" FROM views WHERE \"Id\" = '{messages[2].ViewId}' AND \"State\" = 3");
        Assert.StartsWith("derivative image is unreadable:", error, StringComparison.Ordinal);
        Assert.Equal(0, await _c.ScalarAsync<int>($"SELECT count(*) FROM studies s WHERE abs(s.\"Score\" - (SELECT avg(\"Probability\") FROM views WHERE \"State\" = 2)) > 1e-12"));
        // A permanent error is not retried: the study completed in the first batch, so no fault reached the error queue.
        Assert.Equal(1, await _c.ScalarAsync<int>($"SELECT \"Attempts\" FROM views WHERE \"Id\" = '{messages[2].ViewId}'"));
        Assert.True(!_c.Queues().TryGetValue("score-views_error", out var errors) || errors.Ready == 0, "a permanent failure reached score-views_error");
        Assert.Equal(0, _c.Queues()["score-views"].Ready);
    }

    private static GrayImage Gradient(int w, int h)
    {
        var px = new byte[w * h];
        for (var i = 0; i < px.Length; i++)
        {
            px[i] = (byte)((i % w) * 255 / w);
        }

        return new GrayImage(w, h, px);
    }

    private string Staging => Path.Combine(_c.Dir, "staging");

    /// <summary>Writes phantom studies beside the watched folder; returns how many views they have.</summary>
    private int Stage(int studies, ulong seed)
    {
        PhantomWriter.WriteAll(new PhantomGenerator(seed, minSide: 400, maxSide: 640), studies, Staging, PhantomFormat.Dicom);
        return Directory.EnumerateFiles(Staging, "*.dcm", SearchOption.AllDirectories).Count();
    }

    /// <summary>Drops the staged studies into the watched folder, each patient's folder in one rename.</summary>
    private void Drop()
    {
        foreach (var d in Directory.EnumerateDirectories(Staging))
        {
            Directory.Move(d, Path.Combine(_c.Watch, Path.GetFileName(d)));
        }
    }

    /// <summary>A copy of an archived instance with a new SOP Instance UID: a view that arrives late for its study.</summary>
    private (string StudyUid, string Path) AnotherInstanceOfAScoredStudy()
    {
        var source = Directory.EnumerateFiles(_c.Watch + ".archive", "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var file = DicomFile.Open(source);
        var sop = DicomUid.FromName("late/" + source);
        file.Dataset.AddString(DicomTag.SopInstanceUid, "UI", sop);
        var copy = new DicomFile(DicomWriter.CreateMeta(file.Dataset), file.Dataset);
        var path = Path.Combine(_c.Dir, "late.dcm");
        using (var s = File.Create(path))
        {
            DicomWriter.Write(s, copy);
        }

        return (file.Dataset.GetString(DicomTag.StudyInstanceUid)!, path);
    }

    private Task WaitAllScoredAsync(int studies, int views) => _c.WaitUntilAsync(
        async () => await _c.ScalarAsync<int>("SELECT count(*) FROM studies WHERE \"State\" IN (2, 3)") == studies
            && await _c.ScalarAsync<int>("SELECT count(*) FROM views WHERE \"State\" IN (2, 3)") == views,
        Deadline,
        $"{studies} studies and {views} views to be scored");
}
