using MuraPipeline.Tests;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using static Microsoft.Playwright.Assertions;

namespace MuraPipeline.BrowserTests;

/// <summary>
/// A view that failed for want of inference (no inference worker ran, so every send went unanswered and the reconciler
/// gave up) is retried from the failures page once inference runs, and ends scored.
/// </summary>
public sealed class FailuresPageTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private readonly ConsoleHost _host = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_view_failed_for_want_of_inference_retried_from_the_failures_page_ends_scored()
    {
        // No inference role: the views are sent, nobody answers, and after one unanswered re-send each view fails.
        await _host.StartAsync("ingest,api", new Dictionary<string, string?>
        {
            ["Ingest:MaxRequeues"] = "1",
            ["Ingest:ReconcileAfterSeconds"] = "1",
            ["Ingest:ReconcileIntervalMs"] = "300",
        });
        await _host.AddUserAsync("ops", AccessRole.Operator);
        var views = _host.Stage(2, seed: 1616);
        _host.Drop();
        await Eventually.UntilAsync(
            async () => await _host.QueryAsync(db => db.Views.CountAsync(v => v.State == ViewState.Failed)) == views,
            Deadline,
            $"all {views} views to fail unanswered");

        // Inference is back (same database and folder); the operator retries one view from the page.
        await _host.StartAsync("ingest,inference,api");
        var page = await _host.SignInAsync("ops");
        await page.GotoAsync("/failures");
        var rows = page.Locator("#failed-views tbody tr[data-sop]");
        await Expect(rows).ToHaveCountAsync(views);
        await Expect(page.Locator("table.grid").First).ToContainTextAsync("no result after the view was sent");
        var sop = await rows.First.GetAttributeAsync("data-sop");
        await rows.First.Locator("button", new() { HasText = "Retry" }).ClickAsync();
        await Expect(page.Locator("p.notice")).ToContainTextAsync("1 of 1 views sent to be scored again");
        await Eventually.UntilAsync(
            async () => await _host.QueryAsync(db => db.Views.CountAsync(v => v.SopInstanceUid == sop && v.State == ViewState.Scored)) == 1,
            Deadline,
            $"view {sop} to be scored after its retry");

        // The study's score counts the retried view; a second retry of it changes nothing (idempotent), and both are audited.
        var study = await _host.QueryAsync(db => db.Views.Where(v => v.SopInstanceUid == sop).Select(v => v.Study!).SingleAsync());
        Assert.NotNull(study.Score);
        await page.GotoAsync("/failures");
        await Expect(rows).ToHaveCountAsync(views - 1);
        var retries = await _host.QueryAsync(db => db.AuditEvents.Where(e => e.Action == "view.retry" && e.Target == sop).Select(e => e.Actor).ToListAsync());
        Assert.Equal(["ops"], retries);
        await _host.ScreenshotAsync(page, "failures-after-retry");
    }
}
