using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Pacs;
using MuraPipeline.Tests;
using static Microsoft.Playwright.Assertions;

namespace MuraPipeline.BrowserTests;

/// <summary>
/// The PACS page: a pull job's progress and a study that did not arrive with its reason; the results of scored studies
/// waiting on a destination that does not answer, each with its error, and sent again from the page.
/// </summary>
public sealed class PacsPageTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private readonly ConsoleHost _host = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Pull_progress_and_undelivered_results_are_shown_and_failed_deliveries_are_sent_again()
    {
        var nobody = Peers.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await _host.StartAsync("ingest,inference,api,results", new Dictionary<string, string?>
        {
            ["Results:Destinations:pacs:AeTitle"] = "PACS",
            ["Results:Destinations:pacs:Port"] = nobody,
            ["Results:MaxAttempts"] = "1",
            ["Results:ScanIntervalMs"] = "300",
        });
        await _host.AddUserAsync("ops", AccessRole.Operator);
        var views = _host.Stage(2, seed: 1717);
        _host.Drop();
        var objects = 2 + views;
        await Eventually.UntilAsync(
            async () => await _host.QueryAsync(db => db.ResultDeliveries.CountAsync(d => d.State == DeliveryState.Failed)) == objects,
            Deadline,
            $"all {objects} deliveries to give up on a destination that does not answer");

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var job = await scope.ServiceProvider.GetRequiredService<PullJobs>().CreateAsync("main", "move", new PacsQuery { BodyPart = "WRIST" },
                [new StudyMatch("2.25.4242", "20240102", null, null, ["CR"], "WRIST", 2, [])], 1, 0, new AuditActor("ops", "local"), default);
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            await db.PullStudies.Where(s => s.JobId == job.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.State, PullStudyState.Failed).SetProperty(s => s.Attempts, 3)
                .SetProperty(s => s.Reason, "C-MOVE of series 2.25.4242.1 failed with status 0xA801 (refused: move destination unknown)"));
        }

        var page = await _host.SignInAsync("ops");
        await page.GotoAsync("/pacs");
        await Expect(page.Locator("#pull-jobs tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#pull-jobs")).ToContainTextAsync("body part WRIST");
        await Expect(page.Locator("#pull-failures")).ToContainTextAsync("move destination unknown");
        await Expect(page.Locator("#outbox-counts")).ToContainTextAsync($"{objects} objects");
        await Expect(page.Locator("#outbox tbody tr")).ToHaveCountAsync(objects);
        await Expect(page.Locator("#outbox tbody tr").First).ToContainTextAsync("cannot send to pacs");
        await _host.ScreenshotAsync(page, "pacs");

        await page.Locator("button", new() { HasText = "Send every failed delivery again" }).ClickAsync();
        await Expect(page.Locator("p.notice")).ToContainTextAsync($"{objects} deliveries will be sent again");
        Assert.Equal(1, await _host.QueryAsync(db => db.AuditEvents.CountAsync(e => e.Action == "results.resend" && e.Actor == "ops")));
        await Eventually.UntilAsync(
            async () => await _host.QueryAsync(db => db.ResultDeliveries.CountAsync(d => d.State == DeliveryState.Failed && d.Attempts == 1 && d.LastError != null)) == objects,
            Deadline,
            "the resent deliveries to be tried once more");
    }
}
