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

    private async Task<(Study Study, List<View> Views)> StudyWithViews(string uid, int n)
    {
        var study = await _store.GetOrCreateStudyAsync(uid, "dicom", "WRIST", "P1", default);
        var views = new List<View>();
        for (var i = 0; i < n; i++)
        {
            views.Add((await _store.AddViewAsync(study, $"{uid}.{i}", $"/f{i}", null, default)).View);
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
        var first = await _store.RecordOutcomesAsync([new ViewOutcome(views[0].Id, 0.2, "WRIST", null, null), new ViewOutcome(views[1].Id, 0.9, "WRIST", null, null)], "sha", Guid.NewGuid(), default);
        Assert.Empty(first);
        Assert.Null((await Reload(study.Id)).Score);
        var done = await _store.RecordOutcomesAsync([new ViewOutcome(views[2].Id, 0.4, "WRIST", null, null)], "sha", Guid.NewGuid(), default);
        var c = Assert.Single(done);
        Assert.Equal(0.5, c.Score!.Value, 12);
        var row = await Reload(study.Id);
        Assert.Equal((StudyState.Scored, 3, 0, true, "sha"), (row.State, row.ScoredViews, row.FailedViews, row.Abnormal, row.ModelSha256));
        Assert.Equal(0.5, row.Score!.Value, 12);
    }

    [Fact]
    public async Task Redelivered_outcomes_are_counted_once_and_complete_the_study_once()
    {
        var (study, views) = await StudyWithViews("1.2", 2);
        var batch = views.Select(v => new ViewOutcome(v.Id, 0.3, null, null, null)).ToList();
        Assert.Single(await _store.RecordOutcomesAsync(batch, "sha", Guid.NewGuid(), default));
        Assert.Empty(await _store.RecordOutcomesAsync(batch, "sha", Guid.NewGuid(), default));
        var row = await Reload(study.Id);
        Assert.Equal((2, 0), (row.ScoredViews, row.FailedViews));
    }

    [Fact]
    public async Task Resent_instance_does_not_add_a_view()
    {
        var (study, views) = await StudyWithViews("1.3", 1);
        var (again, created) = await _store.AddViewAsync(study, "1.3.0", "/elsewhere", null, default);
        Assert.False(created);
        Assert.Equal(views[0].Id, again.Id);
        Assert.Equal(1, (await Reload(study.Id)).ViewCount);
    }

    [Fact]
    public async Task Failed_views_are_left_out_of_the_mean_and_a_study_with_none_scored_fails()
    {
        var (study, views) = await StudyWithViews("1.4", 2);
        await _store.FailViewAsync(views[0].Id, "file is truncated", null, default);
        await _store.RecordOutcomesAsync([new ViewOutcome(views[1].Id, 0.8, null, null, null)], "sha", Guid.NewGuid(), default);
        var row = await Reload(study.Id);
        Assert.Equal((StudyState.Scored, 1, 1), (row.State, row.ScoredViews, row.FailedViews));
        Assert.Equal(0.8, row.Score!.Value, 12);
        Assert.Equal("file is truncated", (await _db.Views.AsNoTracking().SingleAsync(v => v.Id == views[0].Id)).Error);

        var (other, otherViews) = await StudyWithViews("1.5", 1);
        await _store.FailViewAsync(otherViews[0].Id, "not an image", null, default);
        var failed = await Reload(other.Id);
        Assert.Equal(StudyState.Failed, failed.State);
        Assert.Null(failed.Score);
    }

    [Fact]
    public async Task A_view_arriving_after_scoring_reopens_the_study_and_the_score_is_recomputed()
    {
        var (study, views) = await StudyWithViews("1.6", 1);
        await _store.RecordOutcomesAsync([new ViewOutcome(views[0].Id, 0.2, null, null, null)], "sha", Guid.NewGuid(), default);
        var (late, _) = await _store.AddViewAsync(study, "1.6.late", "/late", null, default);
        var reopened = await Reload(study.Id);
        Assert.Equal((StudyState.Open, null), (reopened.State, reopened.Score));
        await _store.RecordOutcomesAsync([new ViewOutcome(late.Id, 0.6, null, null, null)], "sha", Guid.NewGuid(), default);
        Assert.Equal(0.4, (await Reload(study.Id)).Score!.Value, 12);
    }

    [Fact]
    public async Task A_quiet_study_is_claimed_by_one_replica_until_its_lease_ends_and_a_late_instance_keeps_it_open()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var store = new StudyStore(_db, clock, Policy());
        var study = await store.GetOrCreateStudyAsync("2.1", "dicom", "HAND", "P2", default);
        await store.AddViewAsync(study, "2.1.0", "/a", null, default);
        var quiet = TimeSpan.FromSeconds(10);
        var lease = TimeSpan.FromMinutes(2);

        Assert.Empty(await store.ClaimQuietStudiesAsync("A", clock.GetUtcNow() - quiet, lease, 10, default));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal([study.Id], await store.ClaimQuietStudiesAsync("A", clock.GetUtcNow() - quiet, lease, 10, default));
        Assert.Empty(await store.ClaimQuietStudiesAsync("B", clock.GetUtcNow() - quiet, lease, 10, default));

        // A dies holding the claim: once the lease has lapsed, B takes the study over.
        clock.Advance(lease + TimeSpan.FromSeconds(1));
        Assert.Equal([study.Id], await store.ClaimQuietStudiesAsync("B", clock.GetUtcNow() - quiet, lease, 10, default));
        Assert.Equal(0, await store.ReleaseQueuedStudyAsync(study.Id, "A", default));

        // An instance arriving while B assembles clears the claim: B's release leaves the study open for the next pass.
        await store.AddViewAsync(study, "2.1.1", "/b", null, default);
        Assert.Equal(0, await store.ReleaseQueuedStudyAsync(study.Id, "B", default));
        Assert.Equal((StudyState.Open, 2), ((await Reload(study.Id)).State, (await Reload(study.Id)).ViewCount));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal([study.Id], await store.ClaimQuietStudiesAsync("B", clock.GetUtcNow() - quiet, lease, 10, default));
        Assert.Equal(1, await store.ReleaseQueuedStudyAsync(study.Id, "B", default));
        Assert.Equal(StudyState.Queued, (await Reload(study.Id)).State);
    }

    [Fact]
    public async Task A_view_left_queued_too_long_is_claimed_for_resending_once_per_age()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var store = new StudyStore(_db, clock, Policy());
        var study = await store.GetOrCreateStudyAsync("2.2", "dicom", "HAND", "P2", default);
        var (view, _) = await store.AddViewAsync(study, "2.2.0", "/a", null, default);
        await store.StoreDerivativeAsync(view.Id, new Derivative([1, 2, 3], 1, 1, 1, 1), default);
        await store.MarkViewQueuedAsync(view.Id, default);
        var age = TimeSpan.FromMinutes(10);

        Assert.Empty(await store.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));
        clock.Advance(age + TimeSpan.FromSeconds(1));
        var (stale, requeues) = Assert.Single(await store.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));
        Assert.Equal((view.Id, 1, (byte)3), (stale.Views[0].ViewId, requeues, stale.Views[0].DerivativePng[2]));
        Assert.Empty(await store.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));

        // Scored views are never re-sent.
        await store.RecordOutcomesAsync([new ViewOutcome(view.Id, 0.3, null, null, null)], "sha", Guid.NewGuid(), default);
        clock.Advance(age * 2);
        Assert.Empty(await store.ClaimStaleQueuedViewsAsync(clock.GetUtcNow() - age, 10, default));
        Assert.Equal(1, await _db.Scores.CountAsync(x => x.ViewId == view.Id));
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
        var done = await _store.RecordOutcomesAsync([new ViewOutcome(views[0].Id, 0.3, "WRIST", null, null), new ViewOutcome(views[1].Id, 0.4, "ELBOW", null, null)], "a1b2c3d4e5f6", batch, default);
        Assert.True(Assert.Single(done).Abnormal);
        Assert.True((await Reload(study.Id)).Abnormal);

        // The same scores under a model without calibration: the configured threshold (0.36) applies.
        var (other, otherViews) = await StudyWithViews("3.2", 2);
        await _store.RecordOutcomesAsync([new ViewOutcome(otherViews[0].Id, 0.3, "WRIST", null, null), new ViewOutcome(otherViews[1].Id, 0.4, "WRIST", null, null)], "uncalibrated", Guid.NewGuid(), default);
        Assert.False((await Reload(other.Id)).Abnormal);

        // The study is tagged WRIST: the view the model calls ELBOW is flagged, the WRIST one is not; both scores name the batch.
        var flags = await _db.Views.AsNoTracking().Where(v => v.StudyId == study.Id).OrderBy(v => v.SopInstanceUid).Select(v => v.BodyPartMismatch).ToListAsync();
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
        await registry.ActivateAsync("aaaaaa111111", default);
        await registry.ActivateAsync((await registry.ResolveAsync("AAAAAA2", default)).Sha256, default);
        Assert.Equal("aaaaaa222222", (await registry.GetActiveAsync(default))!.Sha256);
        Assert.Equal(1, await _db.ModelVersions.CountAsync(m => m.Active));
        Assert.Equal([2], await registry.ContentAsync("aaaaaa222222", default));
        Assert.Contains("more than one", (await Assert.ThrowsAsync<InvalidDataException>(() => registry.ResolveAsync("aaaaaa", default))).Message, StringComparison.Ordinal);
        Assert.Contains("no registered model", (await Assert.ThrowsAsync<InvalidDataException>(() => registry.ResolveAsync("bbbbbb", default))).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => registry.ActivateAsync("cccccc", default));
        Assert.Equal("aaaaaa222222", (await registry.GetActiveAsync(default))!.Sha256);
    }
}
