using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Dicom.Network;
using Xunit.Abstractions;

namespace MuraPipeline.Pacs.Tests;

/// <summary>
/// A backlog job of 100,000 studies from a scripted PACS that caps its answers at 1,000: the search streams the
/// matches into the database chunk by chunk (the managed heap stays small), the job holds every study once, and the
/// claim and progress queries run on the job's index. The figures go to the test output and README, not into
/// assertions on time.
/// </summary>
public sealed class BacklogJobTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PullFixture _pull = null!;

    public async Task InitializeAsync() => _pull = await PullFixture.StartAsync(new Dictionary<string, string?>());

    public async Task DisposeAsync() => await _pull.DisposeAsync();

    [Fact]
    public async Task A_job_of_100000_studies_streams_in_with_bounded_memory_and_claims_on_the_index()
    {
        const int Studies = 100_000;
        await using var pacs = new BacklogPacs(BacklogPacs.Spread(new DateOnly(2023, 1, 1), 250, Studies / 250), cap: 1_000, silent: false);
        var client = new DicomClient("127.0.0.1", pacs.Port, "MURA", "BACKLOG");

        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(20, CancellationToken.None);
            }
        });
        var watch = Stopwatch.StartNew();
        PullJob job;
        SearchSummary search;
        await using (var scope = _pull.Services.CreateAsyncScope())
        {
            (job, search) = await scope.ServiceProvider.GetRequiredService<PullJobs>().RecordAsync(client, "backlog", new PacsNode { Retrieve = "get" }, new PacsQuery(), 2, 0, new AuditActor("test", "local"), default);
        }

        var recorded = watch.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        peak = Math.Max(peak, GC.GetTotalMemory(false));

        await using var check = _pull.Services.CreateAsyncScope();
        var db = check.ServiceProvider.GetRequiredService<MuraDbContext>();
        var jobs = check.ServiceProvider.GetRequiredService<PullJobs>();
        Assert.Equal(PullJobState.Active, (await jobs.FindAsync(job.Id, default))!.State);
        Assert.Equal(Studies, await db.PullStudies.CountAsync(s => s.JobId == job.Id));
        Assert.Equal(Studies, await db.PullStudies.Where(s => s.JobId == job.Id).Select(s => s.StudyInstanceUid).Distinct().CountAsync());
        Assert.Equal(search.Queries, (await jobs.FindAsync(job.Id, default))!.SearchQueries);

        // Holding the matches would take well over 100 MB of managed heap (a StudyMatch and its strings, per study); streaming holds a chunk.
        var growth = (peak - before) / (1024.0 * 1024);
        Assert.True(growth < 32, $"managed heap grew by {growth:0} MB while recording the job");

        // Claims and progress read the job's index, never the whole table.
        var now = DateTimeOffset.UtcNow;
        var plan = await PlanAsync(db, jobs.NextPending(job.Id, now).ToQueryString());
        Assert.Contains("IX_pull_studies_JobId_State_StudyDate_StudyInstanceUid", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);

        watch.Restart();
        for (var i = 0; i < 100; i++)
        {
            Assert.NotNull(await jobs.ClaimAsync(job.Id, "bench", TimeSpan.FromMinutes(5), default));
        }

        var claim = watch.Elapsed / 100;
        watch.Restart();
        var progress = (await jobs.ProgressAsync(job.Id, default))!;
        var progressTime = watch.Elapsed;
        Assert.Equal((Studies - 100, 100), (progress.Pending, progress.Retrieving));

        using var self = Process.GetCurrentProcess();
        output.WriteLine($"100,000-study job: recorded in {recorded.TotalSeconds:0.0} s over {search.Queries} C-FIND queries ({search.Splits} capped answers split); managed heap +{growth:0.0} MB at peak (process peak working set {self.PeakWorkingSet64 / (1024 * 1024)} MB); claim {claim.TotalMilliseconds:0.00} ms; progress {progressTime.TotalMilliseconds:0.0} ms");
    }

    private static async Task<string> PlanAsync(MuraDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql[sql.IndexOf("SELECT", StringComparison.Ordinal)..];
        // ToQueryString writes the parameters as ".param set @name value" lines before the statement.
        foreach (Match p in Regex.Matches(sql, @"^\.param set (@\w+) (.+)$", RegexOptions.Multiline))
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = p.Groups[1].Value;
            parameter.Value = p.Groups[2].Value.Trim('\'');
            command.Parameters.Add(parameter);
        }

        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(3));
        }

        return string.Join('\n', rows);
    }
}
