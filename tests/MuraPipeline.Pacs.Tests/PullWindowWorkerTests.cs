using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MuraPipeline.Data;
using MuraPipeline.Tests;

namespace MuraPipeline.Pacs.Tests;

/// <summary>The scheduler role's pull loop on a clock the test moves: nothing starts outside Pacs:PullWindow, the job runs once it opens.</summary>
public sealed class PullWindowWorkerTests
{
    [Fact]
    public async Task A_job_waits_for_the_window_and_runs_once_it_opens()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
        clock.SetLocalTimeZone(TimeZoneInfo.Utc);
        var nobody = Peers.FreePort();
        await using var pull = await PullFixture.StartAsync(new Dictionary<string, string?>
        {
            ["Pacs:PullWindow"] = "20:00-06:00",
            ["Pacs:MaxAttempts"] = "1",
            ["Pacs:TimeoutSeconds"] = "2",
            ["Pacs:Nodes:away:AeTitle"] = "AWAY",
            ["Pacs:Nodes:away:Port"] = nobody.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, clock);
        var job = await pull.RecordAsync("away", "move", [new StudyMatch("2.25.5151", "20240101", null, null, ["CR"], null, 1, [])]);
        using var worker = new PullWindowWorker(pull.Services.GetRequiredService<IServiceScopeFactory>(), pull.Services.GetRequiredService<Puller>(),
            pull.Services.GetRequiredService<IOptions<PacsOptions>>(), clock, NullLogger<PullWindowWorker>.Instance);
        await worker.StartAsync(default);

        // From noon to 19:30, half an hour at a time: the window is closed, the study is never claimed.
        for (var step = 0; step < 15; step++)
        {
            clock.Advance(TimeSpan.FromMinutes(30));
            await Task.Yield();
            Assert.Equal((PullStudyState.Pending, 0), await StateAsync(pull, job.Id));
        }

        // 20:00: the window opens and the worker takes the job; the PACS is away, so the study fails with that reason.
        clock.Advance(TimeSpan.FromMinutes(30));
        await Eventually.UntilAsync(
            async () =>
            {
                if ((await StateAsync(pull, job.Id)).State == PullStudyState.Failed)
                {
                    return true;
                }

                clock.Advance(TimeSpan.FromSeconds(5));
                return false;
            },
            TimeSpan.FromSeconds(60),
            "the study to be tried once the window opened");

        var row = Assert.Single(await pull.StudiesAsync(job.Id));
        Assert.Equal(1, row.Attempts);
        Assert.Contains("cannot reach the PACS away", row.Reason, StringComparison.Ordinal);
        Assert.True(row.StartedAt >= new DateTimeOffset(2026, 12, 2, 20, 0, 0, TimeSpan.Zero), $"started at {row.StartedAt}, before the window opened");
        await worker.StopAsync(default);
    }

    private static async Task<(PullStudyState State, int Attempts)> StateAsync(PullFixture pull, Guid job)
    {
        var row = Assert.Single(await pull.StudiesAsync(job));
        return (row.State, row.Attempts);
    }
}
