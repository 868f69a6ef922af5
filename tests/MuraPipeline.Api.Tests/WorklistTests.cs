using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Api.Pages;
using MuraPipeline.Hosting;
using MuraPipeline.Data;
using MuraPipeline.Tests;
using Xunit.Abstractions;

namespace MuraPipeline.Api.Tests;

/// <summary>The worklist over 100,000 scored studies: keyset pages in score order, on the index, with no sort of the table.</summary>
public sealed partial class WorklistTests(ITestOutputHelper output) : IDisposable
{
    private const int Studies = 100_000;
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Keyset_pages_follow_the_score_order_and_the_query_runs_on_the_index()
    {
        using var host = ServiceHost.Build(Roles.Parse("api"), new Dictionary<string, string?> { ["Database:SqliteFile"] = Path.Combine(_dir, "mura.db"), ["urls"] = "http://127.0.0.1:0" });
        await ServiceHost.EnsureSchemaAsync(host.Services, default);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var reads = scope.ServiceProvider.GetRequiredService<ConsoleReads>();
        var expected = await SeedAsync(db);

        // Three pages from the top, then a page from a cursor half-way down, each equal to the order the rows were made in.
        var shown = new List<string>();
        string? after = null;
        for (var i = 0; i < 3; i++)
        {
            var page = await reads.WorklistAsync(new WorklistFilter(After: after), default);
            shown.AddRange(page.Rows.Select(r => r.StudyInstanceUid));
            after = page.Next;
        }

        Assert.Equal(expected.Take(150), shown);
        var middle = Studies / 2;
        var watch = Stopwatch.StartNew();
        var deep = await reads.WorklistAsync(new WorklistFilter(After: $"{Score(middle):R}|{expected[middle]}"), default);
        output.WriteLine($"a page after row {middle}: {watch.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal(expected.Skip(middle + 1).Take(50), deep.Rows.Select(r => r.StudyInstanceUid));

        // SQLite's plan: the studies are read through the worklist index, in its order (no temporary sort).
        var sql = reads.WorklistQuery(new WorklistFilter(After: "0.5|2.25.5"), 51).ToQueryString();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', sql.Split('\n').Where(l => !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith(".param", StringComparison.Ordinal)));
        foreach (var name in Parameter().Matches(explain.CommandText).Select(m => m.Value).Distinct(StringComparer.Ordinal))
        {
            explain.Parameters.AddWithValue(name, DBNull.Value);
        }

        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        output.WriteLine(string.Join('\n', plan));
        Assert.Contains(plan, p => p.Contains("studies", StringComparison.Ordinal) && p.Contains("IX_studies_State_Score_StudyInstanceUid", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE FOR ORDER BY", StringComparison.Ordinal));
    }

    /// <summary>A distinct score per study, falling with the row number, so the expected order is the insertion order.</summary>
    private static double Score(int i) => 1.0 - ((i + 0.5) / Studies);

    private static async Task<List<string>> SeedAsync(MuraDbContext db)
    {
        await db.Database.OpenConnectionAsync();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var tx = await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO studies ("Id", "StudyInstanceUid", "Source", "State", "ViewCount", "ScoredViews", "FailedViews", "Score", "Abnormal", "CreatedAt", "UpdatedAt", "LastInstanceAt", "BodyPart")
            VALUES ($id, $uid, 'dicom', 2, 2, 2, 0, $score, $abnormal, 0, 0, 0, 'WRIST')
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var uid = insert.Parameters.Add("$uid", SqliteType.Text);
        var score = insert.Parameters.Add("$score", SqliteType.Real);
        var abnormal = insert.Parameters.Add("$abnormal", SqliteType.Integer);
        var uids = new List<string>(Studies);
        for (var i = 0; i < Studies; i++)
        {
            id.Value = Guid.NewGuid().ToString().ToUpperInvariant();
            uid.Value = $"2.25.{1_000_000 + i}";
            score.Value = Score(i);
            abnormal.Value = Score(i) > 0.5 ? 1 : 0;
            await insert.ExecuteNonQueryAsync();
            uids.Add((string)uid.Value);
        }

        await tx.CommitAsync();
        return uids;
    }

    [GeneratedRegex(@"@\w+")]
    private static partial Regex Parameter();
}
