using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Evaluation;
using MuraPipeline.Tests;

namespace MuraPipeline.Data.Tests;

public sealed class StudyStoreTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private MuraDbContext _db = null!;
    private StudyStore _store = null!;
    private ServiceProvider _services = null!;
    private ThresholdPolicy _policy = null!;

    /// <summary>The real threshold policy over the test database, with WRIST configured at 0.36.</summary>
    private ThresholdPolicy Policy() => _policy;

    public async Task InitializeAsync()
    {
        var o = new DbContextOptionsBuilder<MuraDbContext>();
        o.UseEmbeddedSqlite(Path.Combine(_dir, "t.db"));
        _db = new MuraDbContext(o.Options);
        await DatabaseSetup.MigrateAsync(_db, default);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:Thresholds:WRIST"] = "0.36" }).Build();
        _services = new ServiceCollection().AddMuraSqlite(Path.Combine(_dir, "t.db")).AddThresholdPolicy(configuration).BuildServiceProvider();
        _policy = _services.GetRequiredService<ThresholdPolicy>();
        _store = new StudyStore(_db, TimeProvider.System, _policy);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _db.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Registers one instance as ingest does (with a tiny derivative); its view and study ids.</summary>
    private static async Task<Registration> Register(StudyStore store, string studyUid, string sop, string bodyPart = "WRIST") =>
        await store.RegisterAsync(new InstanceFile(studyUid, "dicom", bodyPart, "P1", sop, null, $"/{sop}", $"/{sop}"), new Derivative([1, 2, 3], 1, 1, 1, 1), null, default);

    private async Task<(Guid Study, List<Guid> Views)> StudyWithViews(string uid, int n)
    {
        var views = new List<Guid>();
        var study = Guid.Empty;
        for (var i = 0; i < n; i++)
        {
            var r = await Register(_store, uid, $"{uid}.{i}");
            (study, views) = (r.StudyId, [.. views, r.ViewId]);
        }

        return (study, views);
    }

    private Task<Study> Reload(Guid id) => _db.Studies.AsNoTracking().SingleAsync(s => s.Id == id);

    [Fact]
    public void Aggregation_rule_is_the_arithmetic_mean()
    {
        Assert.Equal(0.5, StudyAggregate.Score([0.2, 0.9, 0.4]));
        Assert.Null(StudyAggregate.Score([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => StudyAggregate.Score([1.5]));
        Assert.True(StudyAggregate.IsAbnormal(0.5, Thresholds.Default));
        Assert.False(StudyAggregate.IsAbnormal(0.6, 0.7));
    }

    [Fact]
    public async Task Study_score_is_mean_of_view_probabilities_once_the_last_view_is_scored()
    {
        var (study, views) = await StudyWithViews("1.1", 3);
        var first = await _store.RecordOutcomesAsync([new ViewOutcome(views[0], 0.2, "WRIST", null, null), new ViewOutcome(views[1], 0.9, "WRIST", null, null)], "sha", Guid.NewGuid(), default);
        Assert.Empty(first);
        Assert.Null((await Reload(study)).Score);
        var done = await _store.RecordOutcomesAsync([new ViewOutcome(views[2], 0.4, "WRIST", null, null)], "sha", Guid.NewGuid(), default);
        var c = Assert.Single(done);
        Assert.Equal(0.5, c.Score!.Value, 12);
        var row = await Reload(study);
        Assert.Equal((StudyState.Scored, 3, 0, true, "sha"), (row.State, row.ScoredViews, row.FailedViews, row.Abnormal, row.ModelSha256));
        Assert.Equal(0.5, row.Score!.Value, 12);
    }

    [Fact]
    public async Task Redelivered_outcomes_are_counted_once_and_complete_the_study_once()
    {
        var (study, views) = await StudyWithViews("1.2", 2);
        var batch = views.Select(v => new ViewOutcome(v, 0.3, null, null, null)).ToList();
        Assert.Single(await _store.RecordOutcomesAsync(batch, "sha", Guid.NewGuid(), default));
        Assert.Empty(await _store.RecordOutcomesAsync(batch, "sha", Guid.NewGuid(), default));
        var row = await Reload(study);
        Assert.Equal((2, 0), (row.ScoredViews, row.FailedViews));
    }

    [Fact]
    public async Task Resent_instance_does_not_add_a_view()
    {
        var (study, views) = await StudyWithViews("1.3", 1);
        var again = await Register(_store, "1.3", "1.3.0");
        Assert.Equal(RegistrationOutcome.Duplicate, again.Outcome);
        Assert.Equal(views[0], again.ViewId);
        Assert.Equal(1, (await Reload(study)).ViewCount);
    }

    [Fact]
    public async Task A_file_registers_in_one_unit_and_a_bad_copy_never_undoes_a_good_one()
    {
        var file = new InstanceFile("4.1", "dicom", null, "P4", "4.1.0", null, "/kept/a", "/failed/a");
        var good = new Derivative([9, 9], 2, 1, 20, 10);

        // The bad copy first: the view fails and, being the study's only view, completes it as failed.
        var bad = await _store.RegisterAsync(file, null, "file is truncated", default);
        Assert.Equal(RegistrationOutcome.Failed, bad.Outcome);
        Assert.Equal((0, 1), (Assert.IsType<CompletedStudy>(bad.Completed).ScoredViews, bad.Completed.FailedViews));
        Assert.Equal((StudyState.Failed, "/failed/a"), ((await Reload(bad.StudyId)).State, (await _db.Views.AsNoTracking().SingleAsync(v => v.Id == bad.ViewId)).SourcePath));

        // The good copy revives the view, becomes its source and re-opens the study; the tags fill the body part.
        var revived = await _store.RegisterAsync(file with { BodyPart = "HAND" }, good, null, default);
        Assert.Equal((RegistrationOutcome.Registered, bad.ViewId), (revived.Outcome, revived.ViewId));
        var view = await _db.Views.AsNoTracking().SingleAsync(v => v.Id == bad.ViewId);
        Assert.Equal((ViewState.Received, null, 2, 20, "/kept/a"), (view.State, view.Error, view.Width, view.SourceWidth, view.SourcePath));
        var study = await Reload(bad.StudyId);
        Assert.Equal((StudyState.Open, 1, 0, "HAND"), (study.State, study.ViewCount, study.FailedViews, study.BodyPart));
        Assert.Equal([9, 9], (await _db.ViewImages.AsNoTracking().SingleAsync(i => i.ViewId == bad.ViewId)).Png);

        // Another bad copy now leaves the derived view alone; a good one again is a duplicate.
        Assert.Equal(RegistrationOutcome.Failed, (await _store.RegisterAsync(file, null, "not an image", default)).Outcome);
        Assert.Equal(ViewState.Received, (await _db.Views.AsNoTracking().SingleAsync(v => v.Id == bad.ViewId)).State);
        Assert.Equal(RegistrationOutcome.Duplicate, (await _store.RegisterAsync(file, good, null, default)).Outcome);
        Assert.Equal(bad.StudyId, await _store.DerivedInstanceStudyAsync("4.1.0", default));
        Assert.Null(await _store.DerivedInstanceStudyAsync("4.1.9", default));
        Assert.Equal((1, 1), (await _db.Views.CountAsync(v => v.StudyId == bad.StudyId), (await Reload(bad.StudyId)).ViewCount));
    }

    [Fact]
    public async Task A_group_commit_gives_every_file_the_outcome_and_rows_it_would_get_alone()
    {
        // Ingest's writer commits many files at once; the rows must be those of the same files registered one by one.
        InstanceFile F(string study, string sop, string? part = null, string? outOfScope = null) => new(study, "dicom", part, "P5", sop, null, $"/kept/{sop}", $"/failed/{sop}", part is null ? null : "description", outOfScope);
        var good = new Derivative([7], 3, 2, 30, 20);
        (InstanceFile, Derivative?, string?)[] group =
        [
            (F("5.1", "5.1.1", "ELBOW"), good, null),          // a new view of a known study without a type
            (F("5.2", "5.2.0"), good, null),                   // a new study, no type on its first file
            (F("5.2", "5.2.1", "HAND"), good, null),           // its second file names the type
            (F("5.2", "5.2.0"), good, null),                   // a copy repeated within the group
            (F("5.3", "5.3.0"), null, "file is truncated"),    // a new instance that cannot be read
            (F("5.1", "5.1.0"), good, null),                   // a known instance again
            (F("5.2", "5.2.1"), null, "not an image"),         // a bad copy after the good one
            (F("5.4", "5.4.0", "FOOT", "names FOOT"), good, null), // a study set aside
            (F("5.4", "5.4.1"), good, null),
        ];

        var alone = new StudyStore(_db, TimeProvider.System, _policy);
        var o = new DbContextOptionsBuilder<MuraDbContext>();
        o.UseEmbeddedSqlite(Path.Combine(_dir, "group.db"));
        await using var groupDb = new MuraDbContext(o.Options);
        await DatabaseSetup.MigrateAsync(groupDb, default);
        var grouped = new StudyStore(groupDb, TimeProvider.System, _policy);
        foreach (var store in new[] { alone, grouped })
        {
            await store.RegisterAsync(F("5.1", "5.1.0"), good, null, default);
        }

        var one = new List<RegistrationOutcome>();
        foreach (var (file, derivative, error) in group)
        {
            one.Add((await alone.RegisterAsync(file, derivative, error, default)).Outcome);
        }

        var many = await grouped.RegisterManyAsync(group, default);
        Assert.Equal(one, many.Select(r => r.Outcome));
        Assert.Equal(
            [RegistrationOutcome.Registered, RegistrationOutcome.Registered, RegistrationOutcome.Registered, RegistrationOutcome.Duplicate, RegistrationOutcome.Failed, RegistrationOutcome.Duplicate, RegistrationOutcome.Failed, RegistrationOutcome.Registered, RegistrationOutcome.Registered],
            one);
        Assert.Single(many.Select(r => r.StudyId).Where((_, i) => group[i].Item1.StudyInstanceUid == "5.2").Distinct());

        static async Task<string> Rows(MuraDbContext db)
        {
            var studies = await db.Studies.AsNoTracking().OrderBy(s => s.StudyInstanceUid)
                .Select(s => $"{s.StudyInstanceUid} {s.State} views={s.ViewCount} failed={s.FailedViews} part={s.BodyPart} from={s.BodyPartSource} aside={s.OutOfScopeReason}").ToListAsync();
            var views = await db.Views.AsNoTracking().OrderBy(v => v.SopInstanceUid)
                .Select(v => $"{v.SopInstanceUid} {v.State} {v.Width}x{v.Height} of {v.SourceWidth}x{v.SourceHeight} at {v.SourcePath} {v.Error} png={db.ViewImages.Count(i => i.ViewId == v.Id)}").ToListAsync();
            return string.Join("\n", studies.Concat(views));
        }

        _db.ChangeTracker.Clear();
        var expected = await Rows(_db);
        Assert.Equal(expected, await Rows(groupDb));
        Assert.Contains("5.2 Open views=2 failed=0 part=HAND from=description", expected, StringComparison.Ordinal);
        Assert.Contains("5.1 Open views=2 failed=0 part=ELBOW", expected, StringComparison.Ordinal);
        Assert.Contains("5.3 Failed views=1 failed=1", expected, StringComparison.Ordinal);
        Assert.Contains("aside=names FOOT", expected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_views_are_left_out_of_the_mean_and_a_study_with_none_scored_fails()
    {
        var (study, views) = await StudyWithViews("1.4", 2);
        await _store.FailViewAsync(views[0], "file is truncated", null, default);
        await _store.RecordOutcomesAsync([new ViewOutcome(views[1], 0.8, null, null, null)], "sha", Guid.NewGuid(), default);
        var row = await Reload(study);
        Assert.Equal((StudyState.Scored, 1, 1), (row.State, row.ScoredViews, row.FailedViews));
        Assert.Equal(0.8, row.Score!.Value, 12);
        Assert.Equal("file is truncated", (await _db.Views.AsNoTracking().SingleAsync(v => v.Id == views[0])).Error);

        var (other, otherViews) = await StudyWithViews("1.5", 1);
        await _store.FailViewAsync(otherViews[0], "not an image", null, default);
        var failed = await Reload(other);
        Assert.Equal(StudyState.Failed, failed.State);
        Assert.Null(failed.Score);
    }

    [Fact]
    public async Task A_view_arriving_after_scoring_reopens_the_study_and_the_score_is_recomputed()
    {
        var (study, views) = await StudyWithViews("1.6", 1);
        await _store.RecordOutcomesAsync([new ViewOutcome(views[0], 0.2, null, null, null)], "sha", Guid.NewGuid(), default);
        var late = (await Register(_store, "1.6", "1.6.late")).ViewId;
        var reopened = await Reload(study);
        Assert.Equal((StudyState.Open, null), (reopened.State, reopened.Score));
        await _store.RecordOutcomesAsync([new ViewOutcome(late, 0.6, null, null, null)], "sha", Guid.NewGuid(), default);
        Assert.Equal(0.4, (await Reload(study)).Score!.Value, 12);
    }

    [Fact]
    public async Task A_quiet_study_is_claimed_by_one_replica_until_its_lease_ends_and_a_late_instance_keeps_it_open()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var store = new StudyStore(_db, clock, Policy());
        var queue = new StudyQueue(_db, clock);
        var study = (await Register(store, "2.1", "2.1.0", "HAND")).StudyId;
        var quiet = TimeSpan.FromSeconds(10);
        var lease = TimeSpan.FromMinutes(2);

        Assert.Empty(await queue.ClaimQuietStudiesAsync("A", clock.GetUtcNow() - quiet, lease, 10, default));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal([study], await queue.ClaimQuietStudiesAsync("A", clock.GetUtcNow() - quiet, lease, 10, default));
        Assert.Empty(await queue.ClaimQuietStudiesAsync("B", clock.GetUtcNow() - quiet, lease, 10, default));

        // A dies holding the claim: once the lease has lapsed, B takes the study over.
        clock.Advance(lease + TimeSpan.FromSeconds(1));
        Assert.Equal([study], await queue.ClaimQuietStudiesAsync("B", clock.GetUtcNow() - quiet, lease, 10, default));
        Assert.Equal(0, await MarkQueued(queue, study, "A"));

        // An instance arriving while B assembles clears the claim: B's release leaves the study open for the next pass.
        await Register(store, "2.1", "2.1.1", "HAND");
        Assert.Equal(0, await MarkQueued(queue, study, "B"));
        Assert.Equal((StudyState.Open, 2), ((await Reload(study)).State, (await Reload(study)).ViewCount));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal([study], await queue.ClaimQuietStudiesAsync("B", clock.GetUtcNow() - quiet, lease, 10, default));
        Assert.Equal(1, await MarkQueued(queue, study, "B"));
        Assert.Equal(StudyState.Queued, (await Reload(study)).State);
    }

    private static Task<int> MarkQueued(StudyQueue queue, Guid study, string owner) =>
        queue.MarkStudiesQueuedAsync([new QueueableStudy(study, "", null, [])], owner, default);

    [Fact]
    public async Task Of_two_replicas_claiming_the_same_quiet_studies_each_study_goes_to_one_and_a_pass_queues_its_studies_in_one_go()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var store = new StudyStore(_db, clock, Policy());
        var queue = new StudyQueue(_db, clock);
        var first = await Register(store, "2.3", "2.3.0", "HAND");
        await Register(store, "2.3", "2.3.1", "HAND");
        clock.Advance(TimeSpan.FromSeconds(1));
        var second = await Register(store, "2.4", "2.4.0", "WRIST");
        clock.Advance(TimeSpan.FromSeconds(1));
        var third = await Register(store, "2.5", "2.5.0", "ELBOW");
        clock.Advance(TimeSpan.FromSeconds(11));
        var quietSince = clock.GetUtcNow() - TimeSpan.FromSeconds(10);
        var lease = TimeSpan.FromMinutes(2);

        // A claims two (the quietest first); B, in the same instant, gets only the one left.
        var a = await queue.ClaimQuietStudiesAsync("A", quietSince, lease, 2, default);
        Assert.Equal([first.StudyId, second.StudyId], a);
        Assert.Equal([third.StudyId], await queue.ClaimQuietStudiesAsync("B", quietSince, lease, 10, default));
        // A pass that is repeated takes its own claims again, never the other replica's.
        Assert.Equal(a, await queue.ClaimQuietStudiesAsync("A", quietSince, lease, 10, default));

        var studies = await queue.QueueableStudiesAsync(a, default);
        Assert.Equal([(first.StudyId, 2, "2.3", "HAND"), (second.StudyId, 1, "2.4", "WRIST")],
            studies.Select(s => (s.StudyId, s.Views.Count, s.StudyInstanceUid, s.BodyPart)).ToList());
        Assert.All(studies.SelectMany(s => s.Views), v => Assert.Equal((byte)3, v.DerivativePng[2]));

        // Marked with B's name, nothing moves; with A's, both studies and their three views are Queued.
        Assert.Equal(0, await queue.MarkStudiesQueuedAsync(studies, "B", default));
        Assert.Equal(2, await queue.MarkStudiesQueuedAsync(studies, "A", default));
        Assert.Equal([StudyState.Queued, StudyState.Queued, StudyState.Open], [(await Reload(first.StudyId)).State, (await Reload(second.StudyId)).State, (await Reload(third.StudyId)).State]);
        Assert.Equal(3, await _db.Views.CountAsync(v => v.State == ViewState.Queued && v.QueuedAt != null));
        Assert.All(await queue.QueueableStudiesAsync(a, default), s => Assert.Empty(s.Views));
    }

    [Fact]
    public async Task A_view_left_queued_too_long_is_claimed_for_resending_once_per_age()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var store = new StudyStore(_db, clock, Policy());
        var queue = new StudyQueue(_db, clock);
        var view = (await Register(store, "2.2", "2.2.0", "HAND")).ViewId;
        await queue.MarkViewsQueuedAsync([view], default);
        var age = TimeSpan.FromMinutes(10);

        Assert.Empty(await queue.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));
        clock.Advance(age + TimeSpan.FromSeconds(1));
        var (stale, requeues) = Assert.Single(await queue.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));
        Assert.Equal((view, 1, (byte)3), (stale.Views[0].ViewId, requeues, stale.Views[0].DerivativePng[2]));
        Assert.Empty(await queue.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));

        // Scored views are never re-sent.
        await store.RecordOutcomesAsync([new ViewOutcome(view, 0.3, null, null, null)], "sha", Guid.NewGuid(), default);
        clock.Advance(age * 2);
        Assert.Empty(await queue.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));
        Assert.Equal(1, await _db.Scores.CountAsync(x => x.ViewId == view));
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    [Fact]
    public async Task A_models_calibrated_threshold_decides_the_call_over_the_configured_one_and_a_body_part_disagreement_is_flagged()
    {
        var registry = new ModelRegistry(_db, TimeProvider.System);
        Assert.True(await registry.AddAsync("a1b2c3d4e5f6", "calibrated", "/m.onnx", "mura", null, [1, 2, 3], default));
        Assert.False(await registry.AddAsync("a1b2c3d4e5f6", "again", "/m.onnx", "mura", null, [1, 2, 3], default));
        await registry.SetThresholdsAsync("a1b2c3d4e5f6", new Dictionary<string, double> { ["wrist"] = 0.3 }, default);

        // Mean 0.35: abnormal under the model's 0.3 although the configured 0.36 (and the default 0.5) would say normal.
        var (study, views) = await StudyWithViews("3.1", 2);
        var batch = Guid.NewGuid();
        var done = await _store.RecordOutcomesAsync([new ViewOutcome(views[0], 0.3, "WRIST", null, null), new ViewOutcome(views[1], 0.4, "ELBOW", null, null)], "a1b2c3d4e5f6", batch, default);
        Assert.True(Assert.Single(done).Abnormal);
        Assert.True((await Reload(study)).Abnormal);

        // The same scores under a model without calibration: the configured threshold (0.36) applies.
        var (other, otherViews) = await StudyWithViews("3.2", 2);
        await _store.RecordOutcomesAsync([new ViewOutcome(otherViews[0], 0.3, "WRIST", null, null), new ViewOutcome(otherViews[1], 0.4, "WRIST", null, null)], "uncalibrated", Guid.NewGuid(), default);
        Assert.False((await Reload(other)).Abnormal);

        // A late file that fails at ingest completes a scored study again: the call is still the scoring model's (0.3),
        // not the configured 0.36, though ingest names no model.
        var (late, lateViews) = await StudyWithViews("3.3", 1);
        await _store.RecordOutcomesAsync([new ViewOutcome(lateViews[0], 0.35, "WRIST", null, null)], "a1b2c3d4e5f6", Guid.NewGuid(), default);
        var failed = await _store.RegisterAsync(new InstanceFile("3.3", "dicom", "WRIST", "P1", "3.3.late", null, "/3.3.late", "/failed/3.3.late"), null, "file is truncated", default);
        var completed = Assert.IsType<CompletedStudy>(failed.Completed);
        Assert.Equal((1, 1, true, "a1b2c3d4e5f6"), (completed.ScoredViews, completed.FailedViews, completed.Abnormal, completed.ModelSha256));
        var lateRow = await Reload(late);
        Assert.Equal((StudyState.Scored, 2, true, "a1b2c3d4e5f6"), (lateRow.State, lateRow.ViewCount, lateRow.Abnormal, lateRow.ModelSha256));
        Assert.Equal(0.35, lateRow.Score!.Value, 12);

        // The study is tagged WRIST: the view the model calls ELBOW is flagged, the WRIST one is not; both scores name the batch.
        var flags = await _db.Views.AsNoTracking().Where(v => v.StudyId == study).OrderBy(v => v.SopInstanceUid).Select(v => v.BodyPartMismatch).ToListAsync();
        Assert.Equal([false, true], flags);
        Assert.Equal(2, await _db.Scores.CountAsync(x => x.BatchId == batch && x.ModelSha256 == "a1b2c3d4e5f6"));
    }

    [Fact]
    public async Task Registry_activates_exactly_one_version_and_resolves_prefixes()
    {
        var registry = new ModelRegistry(_db, TimeProvider.System);
        await registry.AddAsync("aaaaaa111111", "one", "/1.onnx", "mura", null, [1], default);
        await registry.AddAsync("aaaaaa222222", "two", "/2.onnx", "multitask", null, [2], default);
        Assert.Null(await registry.GetActiveAsync(default));
        await registry.ActivateAsync("aaaaaa111111", AuditActor.CommandLine, default);
        await registry.ActivateAsync((await registry.ResolveAsync("AAAAAA2", default)).Sha256, AuditActor.CommandLine, default);
        Assert.Equal("aaaaaa222222", (await registry.GetActiveAsync(default))!.Sha256);
        Assert.Equal(1, await _db.ModelVersions.CountAsync(m => m.Active));
        Assert.Equal(["aaaaaa111111", "aaaaaa222222"], await _db.AuditEvents.Where(e => e.Action == "model.activate").OrderBy(e => e.Id).Select(e => e.Target).ToListAsync());
        Assert.Equal([2], await registry.ContentAsync("aaaaaa222222", default));
        Assert.Contains("more than one", (await Assert.ThrowsAsync<InvalidDataException>(() => registry.ResolveAsync("aaaaaa", default))).Message, StringComparison.Ordinal);
        Assert.Contains("no registered model", (await Assert.ThrowsAsync<InvalidDataException>(() => registry.ResolveAsync("bbbbbb", default))).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => registry.ActivateAsync("cccccc", AuditActor.CommandLine, default));
        Assert.Equal("aaaaaa222222", (await registry.GetActiveAsync(default))!.Sha256);
    }
}
