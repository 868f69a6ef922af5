using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MuraPipeline.Data;
using MuraPipeline.Tests;
using Npgsql;

namespace MuraPipeline.Scheduler.Tests;

/// <summary>
/// Retention on a populated database, embedded (SQLite) and distributed (the real PostgreSQL): each kind goes exactly
/// when its period allows, and each exception holds (a recent study, an undelivered result, results not yet made, a
/// verdict not yet exported, a study still being scored, a file `mura screen` read where it lies, a recent failure).
/// A dry run reports the same and changes nothing, byte for byte on disk and row for row in the database.
/// </summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private const string Week = "7.00:00:00";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 3, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Old = Now.AddDays(-30);
    private static readonly DateTimeOffset Recent = Now.AddHours(-1);
    private readonly string _dir = Peers.TempDir();
    private readonly FakeTimeProvider _clock = new(Now);
    private string? _pgDatabase;
    private ServiceProvider _services = null!;

    private string Archive => Path.Combine(_dir, "watch.archive");

    private string Failed => Path.Combine(_dir, "watch.failed");

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(string provider)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ingest:WatchDir"] = Path.Combine(_dir, "watch"),
            ["Results:Destinations:pacs:AeTitle"] = "PACS",
            ["Retention:OriginalsAfter"] = Week,
            ["Retention:DerivativesAfter"] = Week,
            ["Retention:ResultObjectsAfter"] = Week,
            ["Retention:FailedFilesAfter"] = Week,
        }).Build();
        DatabaseTarget target;
        if (provider == "postgres")
        {
            _pgDatabase = "mura_rt_" + Guid.NewGuid().ToString("N")[..12];
            await using var admin = new NpgsqlConnection("Host=127.0.0.1;Username=mura;Password=mura;Database=postgres;Pooling=false");
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_pgDatabase} OWNER mura", admin);
            await create.ExecuteNonQueryAsync();
            target = new DatabaseTarget($"Host=127.0.0.1;Username=mura;Password=mura;Database={_pgDatabase}", Path.Combine(_dir, "unused.db"));
        }
        else
        {
            target = new DatabaseTarget(null, Path.Combine(_dir, "mura.db"));
        }

        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<TimeProvider>(_clock)
            .AddLogging()
            .AddMuraDatabase(target)
            .AddRetention(configuration)
            .BuildServiceProvider();
        await using var scope = _services.CreateAsyncScope();
        await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (_pgDatabase is not null)
        {
            await using var admin = new NpgsqlConnection("Host=127.0.0.1;Username=mura;Password=mura;Database=postgres;Pooling=false");
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private enum Results
    {
        Delivered,
        DeliveredRecently,
        Pending,
        None,
    }

    /// <summary>A scored study of one view with its original (in the archive unless <paramref name="original"/> says where), derivative, heatmap and results as told.</summary>
    private async Task<(Study Study, View View, string Original)> AddAsync(string name, Results results, DateTimeOffset scoredAt, StudyState state = StudyState.Scored, string? original = null, bool? verdictExported = null)
    {
        var path = original ?? Path.Combine(Archive, name, "1.dcm");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(1000 + name.Length));
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var uid = $"2.25.{Math.Abs(name.GetHashCode(StringComparison.Ordinal))}";
        var sha = new string('a', 64);
        var scored = state == StudyState.Scored;
        var study = new Study
        {
            Id = Guid.NewGuid(), StudyInstanceUid = uid, Source = "dicom", State = state, ViewCount = 1, ScoredViews = scored ? 1 : 0, Score = scored ? 0.7 : null,
            ModelSha256 = scored ? sha : null, CreatedAt = scoredAt.AddMinutes(-5), UpdatedAt = scoredAt, LastInstanceAt = scoredAt.AddMinutes(-5), ScoredAt = scored ? scoredAt : null,
        };
        var view = new View
        {
            Id = Guid.NewGuid(), StudyId = study.Id, SopInstanceUid = uid + ".1", SourcePath = path, State = scored ? ViewState.Scored : ViewState.Queued,
            Probability = scored ? 0.7 : null, ModelSha256 = scored ? sha : null, Width = 64, Height = 64, CreatedAt = study.CreatedAt, ScoredAt = scored ? scoredAt : null,
        };
        db.AddRange(study, view);
        db.ViewImages.Add(new ViewImage { ViewId = view.Id, Png = new byte[900] });
        db.Heatmaps.Add(new Heatmap { ViewId = view.Id, ModelSha256 = sha, Width = 7, Height = 7, Grid = new byte[196] });
        if (results != Results.None)
        {
            var sent = results == Results.DeliveredRecently ? Recent : scoredAt.AddHours(1);
            var result = new StoredResult
            {
                Id = Guid.NewGuid(), StudyId = study.Id, StudyInstanceUid = uid, ModelSha256 = sha, Kind = "sr", SopClassUid = "1.2.840.10008.5.1.4.1.1.88.34",
                SopInstanceUid = uid + ".9", SeriesInstanceUid = uid + ".8", Content = new byte[5000], CreatedAt = scoredAt,
            };
            result.Deliveries.Add(new ResultDelivery
            {
                Id = Guid.NewGuid(), Destination = "pacs", State = results == Results.Pending ? DeliveryState.Pending : DeliveryState.Sent,
                SentAt = results == Results.Pending ? null : sent, NextAttemptAt = scoredAt, Attempts = 1,
            });
            db.StoredResults.Add(result);
        }

        if (verdictExported is { } exported)
        {
            var verdict = new Verdict { StudyInstanceUid = uid, Abnormal = true, BodyPart = "WRIST", ReaderId = "r1", ReadAt = scoredAt, RecordedAt = scoredAt, Source = "console" };
            db.Verdicts.Add(verdict);
            await db.SaveChangesAsync();
            if (exported)
            {
                db.ExportedStudies.Add(new ExportedStudy { StudyInstanceUid = uid, Patient = "p" + name, StudyNumber = 1, Split = "train", BodyPart = "WRIST", Abnormal = true, LastRunId = 1, LastVerdictId = verdict.Id });
            }
        }

        await db.SaveChangesAsync();
        return (study, view, path);
    }

    private static void Failure(string path, DateTimeOffset failedAt)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[700]);
        File.WriteAllText(path + ".reason.txt", "the file is truncated\n");
        File.SetLastWriteTimeUtc(path, Old.AddDays(-100).UtcDateTime); // a move keeps the modality's time; the reason's is the failure's
        File.SetLastWriteTimeUtc(path + ".reason.txt", failedAt.UtcDateTime);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Retention_deletes_exactly_what_the_policy_says_and_nothing_a_later_stage_needs(string provider)
    {
        await StartAsync(provider);
        var done = await AddAsync("done", Results.Delivered, Old);
        var recent = await AddAsync("recent", Results.DeliveredRecently, Recent);
        var sentRecently = await AddAsync("sent-recently", Results.DeliveredRecently, Old);
        var undelivered = await AddAsync("undelivered", Results.Pending, Old);
        var noResults = await AddAsync("no-results", Results.None, Old);
        var labelled = await AddAsync("labelled", Results.Delivered, Old, verdictExported: false);
        var exported = await AddAsync("exported", Results.Delivered, Old, verdictExported: true);
        var queued = await AddAsync("queued", Results.None, Old, StudyState.Queued);
        var inPlace = await AddAsync("in-place", Results.Delivered, Old, original: Path.Combine(_dir, "screened", "1.dcm"));
        var oldFailure = Path.Combine(Failed, "a", "old.dcm");
        var newFailure = Path.Combine(Failed, "a", "new.dcm");
        Failure(oldFailure, Old);
        Failure(newFailure, Recent);
        var duplicate = Path.Combine(Archive, ".duplicates", "done", "1.dcm");
        Directory.CreateDirectory(Path.GetDirectoryName(duplicate)!);
        await File.WriteAllBytesAsync(duplicate, new byte[300]);
        File.SetLastWriteTimeUtc(duplicate, Old.UtcDateTime);

        var originalsGone = new[] { done, sentRecently, labelled, exported };
        var originalBytes = originalsGone.Sum(x => new FileInfo(x.Original).Length) + 300;
        var retention = _services.GetRequiredService<Retention>();
        var actor = new AuditActor("test", "local");

        // A dry run: the same report as the real run below, and not a byte or a row changed.
        var files = Snapshot();
        var rows = await RowsAsync();
        var dry = await retention.RunAsync(dryRun: true, actor, default);
        Assert.Equal(files, Snapshot());
        Assert.Equal(rows, await RowsAsync());

        var run = await retention.RunAsync(dryRun: false, actor, default);
        Assert.Equal(dry.Kinds, run.Kinds);
        var kinds = run.Kinds.ToDictionary(k => k.Kind);

        // Originals: the studies scored a week ago whose results are all delivered (and the old duplicate); never a file outside the archive.
        Assert.Equal((5, originalBytes), (kinds[Retention.Originals].Count, kinds[Retention.Originals].Bytes));
        foreach (var x in originalsGone)
        {
            Assert.False(File.Exists(x.Original), x.Original);
        }

        foreach (var x in new[] { recent, undelivered, noResults, queued, inPlace })
        {
            Assert.True(File.Exists(x.Original), x.Original);
        }

        Assert.False(File.Exists(duplicate));

        // Derivatives and heatmaps: the same, less the study whose verdict the export has not yet taken.
        var derivativesGone = new[] { done, sentRecently, exported, inPlace };
        Assert.Equal((4, 4 * (900 + 196L)), (kinds[Retention.Derivatives].Count, kinds[Retention.Derivatives].Bytes));
        await using (var scope = _services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            var withImages = await db.ViewImages.Select(i => i.ViewId).ToListAsync();
            var withHeat = await db.Heatmaps.Select(h => h.ViewId).ToListAsync();
            foreach (var x in derivativesGone)
            {
                Assert.DoesNotContain(x.View.Id, withImages);
                Assert.DoesNotContain(x.View.Id, withHeat);
            }

            foreach (var x in new[] { recent, undelivered, noResults, labelled, queued })
            {
                Assert.Contains(x.View.Id, withImages);
                Assert.Contains(x.View.Id, withHeat);
            }

            // Result bytes: only those every destination acknowledged a week ago; the rows and UIDs stay.
            var contents = await db.StoredResults.Select(r => new { r.StudyId, r.Content.Length, r.ContentRemovedAt, r.SopInstanceUid }).ToListAsync();
            Assert.Equal(7, contents.Count);
            var emptied = new[] { done, labelled, exported, inPlace }.Select(x => x.Study.Id).ToHashSet();
            Assert.All(contents, c => Assert.Equal(emptied.Contains(c.StudyId) ? (0, true) : (5000, false), (c.Length, c.ContentRemovedAt is not null)));
            Assert.Equal((4, 4 * 5000L), (kinds[Retention.ResultObjects].Count, kinds[Retention.ResultObjects].Bytes));

            var removed = await db.Views.Where(v => v.OriginalRemovedAt != null).Select(v => v.Id).ToListAsync();
            Assert.Equal(originalsGone.Select(x => x.View.Id).Order(), removed.Order());
            Assert.Equal(1, await db.AuditEvents.CountAsync(a => a.Action == "retention"));
        }

        // Failed files: by the time of the failure (the reason file's), with the reason.
        Assert.Equal((1, 700L + "the file is truncated\n".Length), (kinds[Retention.FailedFiles].Count, kinds[Retention.FailedFiles].Bytes));
        Assert.False(File.Exists(oldFailure) || File.Exists(oldFailure + ".reason.txt"));
        Assert.True(File.Exists(newFailure) && File.Exists(newFailure + ".reason.txt"));

        // A second run finds nothing more to do.
        var again = await retention.RunAsync(dryRun: false, actor, default);
        Assert.All(again.Kinds, k => Assert.Equal((0, 0L), (k.Count, k.Bytes)));

        // A week on, the recent ones go too; the undelivered, the unmade, the unexported and the unscored still stay.
        _clock.Advance(TimeSpan.FromDays(8));
        var later = (await retention.RunAsync(dryRun: false, actor, default)).Kinds.ToDictionary(k => k.Kind);
        Assert.Equal((1, 1, 2, 1), (later[Retention.Originals].Count, later[Retention.Derivatives].Count, later[Retention.ResultObjects].Count, later[Retention.FailedFiles].Count));
        Assert.False(File.Exists(recent.Original));
        Assert.True(File.Exists(undelivered.Original) && File.Exists(noResults.Original) && File.Exists(queued.Original) && File.Exists(inPlace.Original));
    }

    [Fact]
    public async Task Nothing_is_deleted_when_no_period_is_set()
    {
        await StartAsync("sqlite");
        var done = await AddAsync("done", Results.Delivered, Old);
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<TimeProvider>(_clock)
            .AddLogging()
            .AddMuraSqlite(Path.Combine(_dir, "mura.db"))
            .AddRetention(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ingest:WatchDir"] = Path.Combine(_dir, "watch"), ["Retention:OriginalsAfter"] = "" }).Build())
            .BuildServiceProvider();
        var report = await services.GetRequiredService<Retention>().RunAsync(dryRun: false, new AuditActor("test", "local"), default);
        Assert.All(report.Kinds, k => Assert.Equal((null, 0), (k.After, k.Count)));
        Assert.True(File.Exists(done.Original));
    }

    /// <summary>Every file under the test folder, by path, with its SHA-256 and time (the database files excluded: they are compared by rows).</summary>
    private Dictionary<string, string> Snapshot() =>
        Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith("mura.db", StringComparison.Ordinal))
            .ToDictionary(f => f, f => $"{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))} {File.GetLastWriteTimeUtc(f):o}");

    /// <summary>Every row retention could touch, as text.</summary>
    private async Task<List<string>> RowsAsync()
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var rows = new List<string>();
        rows.AddRange((await db.Views.AsNoTracking().ToListAsync()).Select(v => $"view {v.Id} {v.SourcePath} {v.OriginalRemovedAt} {v.DerivativesRemovedAt}"));
        rows.AddRange((await db.ViewImages.AsNoTracking().ToListAsync()).Select(i => $"image {i.ViewId} {Convert.ToHexString(SHA256.HashData(i.Png))}"));
        rows.AddRange((await db.Heatmaps.AsNoTracking().ToListAsync()).Select(h => $"heat {h.ViewId} {Convert.ToHexString(SHA256.HashData(h.Grid))}"));
        rows.AddRange((await db.StoredResults.AsNoTracking().ToListAsync()).Select(r => $"result {r.Id} {Convert.ToHexString(SHA256.HashData(r.Content))} {r.ContentRemovedAt}"));
        rows.Add($"audit {await db.AuditEvents.CountAsync()}");
        return [.. rows.Order(StringComparer.Ordinal)];
    }
}
