using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MuraPipeline.Data;
using MuraPipeline.Hosting;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Ingest.Tests;

public sealed class RegistrationWriterTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private ServiceProvider Replica(string db)
    {
        var configuration = new ConfigurationBuilder().Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddMuraData(new DatabaseTarget(null, db), configuration)
            .BuildServiceProvider();
    }

    [Fact]
    public async Task Two_writers_on_one_database_register_each_instance_once_however_their_groups_interleave()
    {
        // Two replicas (two writers, two pools of connections) are handed the same 60 instances of 12 studies (only the
        // last file of each names its type), each
        // by 16 callers at once: every instance ends registered by exactly one of them, each study counts its views once.
        var db = Path.Combine(_dir, "shared.db");
        await using var a = Replica(db);
        await using var b = Replica(db);
        await using (var scope = a.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
        }

        var files = Enumerable.Range(0, 60).Select(i => new InstanceFile($"6.{i % 12}", "dicom", i >= 48 ? "WRIST" : null, "P6", $"6.{i % 12}.{i}", null, $"/kept/{i}", $"/failed/{i}")).ToList();
        var writers = new[] { a, b }.Select(p => new RegistrationWriter(p.GetRequiredService<IServiceScopeFactory>(), NullLogger<RegistrationWriter>.Instance)).ToList();
        try
        {
            var outcomes = await Task.WhenAll(writers.SelectMany(w => files.Select(f => (w, f))).Chunk(8).Select(chunk => Task.Run(async () =>
            {
                var done = new List<RegistrationOutcome>();
                foreach (var (w, f) in chunk)
                {
                    done.Add((await w.RegisterAsync(f, new Derivative([1], 1, 1, 1, 1), null, default)).Outcome);
                }

                return done;
            })));

            var all = outcomes.SelectMany(o => o).ToList();
            Assert.Equal(60, all.Count(o => o == RegistrationOutcome.Registered));
            Assert.Equal(60, all.Count(o => o == RegistrationOutcome.Duplicate));
            Assert.Equal(120, writers.Sum(w => w.Tally.Views));
        }
        finally
        {
            foreach (var w in writers)
            {
                await w.DisposeAsync();
            }
        }

        await using var check = a.CreateAsyncScope();
        var ctx = check.ServiceProvider.GetRequiredService<MuraDbContext>();
        Assert.Equal(60, await ctx.Views.CountAsync());
        Assert.Equal(60, await ctx.ViewImages.CountAsync());
        var studies = await ctx.Studies.AsNoTracking().Select(s => new { s.StudyInstanceUid, s.ViewCount, s.BodyPart }).ToListAsync();
        Assert.Equal(12, studies.Count);
        Assert.All(studies, s => Assert.Equal((5, "WRIST"), (s.ViewCount, s.BodyPart)));
    }

    [Fact]
    public async Task A_writer_that_cannot_reach_its_database_fails_each_caller_and_takes_the_next_group()
    {
        var db = Path.Combine(_dir, "later.db");
        await using var p = Replica(db);
        await using var writer = new RegistrationWriter(p.GetRequiredService<IServiceScopeFactory>(), NullLogger<RegistrationWriter>.Instance);
        var file = new InstanceFile("7.1", "dicom", "HAND", "P7", "7.1.0", null, "/kept/7", "/failed/7");

        // No schema yet: the caller hears the database's error (and keeps its file); the writer goes on.
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => writer.RegisterAsync(file, new Derivative([1], 1, 1, 1, 1), null, default));
        await using (var scope = p.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
        }

        Assert.Equal(RegistrationOutcome.Registered, (await writer.RegisterAsync(file, new Derivative([1], 1, 1, 1, 1), null, default)).Outcome);
    }

    [Fact]
    public async Task A_new_database_takes_large_pages_and_a_group_is_counted_before_its_callers_hear()
    {
        // Derivatives are stored in the registration's rows: a new file gets 64 KB pages so each is a short chain.
        var db = Path.Combine(_dir, "pages.db");
        await using var p = Replica(db);
        await using (var scope = p.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
        }

        await using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db}"))
        {
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA page_size";
            Assert.Equal((long)DatabaseSetup.SqlitePageSize, (long)(await cmd.ExecuteScalarAsync())!);
            cmd.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", (string)(await cmd.ExecuteScalarAsync())!);
        }

        // Every caller that has heard its outcome is in the tally (the bench reads it the moment the last one returns).
        await using var writer = new RegistrationWriter(p.GetRequiredService<IServiceScopeFactory>(), NullLogger<RegistrationWriter>.Instance);
        var png = new byte[100_000];
        Random.Shared.NextBytes(png);
        var files = Enumerable.Range(0, 40).Select(i => new InstanceFile($"8.{i / 4}", "dicom", "ELBOW", "P8", $"8.{i / 4}.{i}", null, $"/kept/{i}", $"/failed/{i}"));
        var outcomes = await Task.WhenAll(files.Select(f => writer.RegisterAsync(f, new Derivative(png, 512, 400, 2000, 1600), null, default)));
        Assert.All(outcomes, o => Assert.Equal(RegistrationOutcome.Registered, o.Outcome));
        Assert.Equal(40, writer.Tally.Views);
        Assert.InRange(writer.Tally.Commits, 1, 40);

        await using var check = p.CreateAsyncScope();
        var ctx = check.ServiceProvider.GetRequiredService<MuraDbContext>();
        Assert.Equal(40, await ctx.ViewImages.CountAsync(i => i.Png.Length == png.Length));
    }

    [Fact]
    public async Task A_database_made_with_small_pages_keeps_them_and_still_migrates()
    {
        var db = Path.Combine(_dir, "old.db");
        await using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db}"))
        {
            await conn.OpenAsync();
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA page_size = 4096; CREATE TABLE made_before (x INTEGER);";
            await cmd.ExecuteNonQueryAsync();
        }

        await using var p = Replica(db);
        await using (var scope = p.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
            Assert.Empty(await DatabaseSetup.PendingMigrationsAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db}");
        await check.OpenAsync();
        await using var page = check.CreateCommand();
        page.CommandText = "PRAGMA page_size";
        Assert.Equal(4096L, (long)(await page.ExecuteScalarAsync())!);
    }
}
