using MuraPipeline.Tests;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using MuraPipeline.Data;
using static Microsoft.Playwright.Assertions;

namespace MuraPipeline.BrowserTests;

/// <summary>The console in Chromium, against a host with the ingest, inference and api roles and phantom studies.</summary>
public sealed class ConsoleTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private readonly ConsoleHost _host = new();

    public async Task InitializeAsync()
    {
        // A quiet period long enough that a dropped study is seen waiting on the overview before it is queued: the
        // counts hold still from the last study's last file until the first study's quiet period ends, and that must
        // span a few of the page's 3-second refreshes even when the eight studies take seconds to ingest on a loaded
        // machine (at 5 s the window closed once in a full suite run, the other test assemblies beside it).
        await _host.StartAsync("ingest,inference,api", new Dictionary<string, string?> { ["Ingest:QuietPeriodSeconds"] = "20" });
        await _host.AddUserAsync("dr-reader", AccessRole.Reader);
        await _host.AddUserAsync("ops", AccessRole.Operator);
        await _host.AddUserAsync("root-admin", AccessRole.Admin);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Each_role_sees_the_pages_it_may_open_and_is_refused_the_others()
    {
        var expected = new Dictionary<string, string[]>
        {
            ["dr-reader"] = ["Worklist"],
            ["ops"] = ["Overview", "Worklist", "Failures", "Models", "PACS", "Exports", "Audit"],
            ["root-admin"] = ["Overview", "Worklist", "Failures", "Models", "PACS", "Exports", "Audit", "Users and keys", "Settings"],
        };
        foreach (var (user, pages) in expected)
        {
            var page = await _host.SignInAsync(user);
            Assert.Equal(pages, await page.Locator("header nav a").AllInnerTextsAsync());
            foreach (var (path, needs) in new[] { ("/overview", "ops"), ("/failures", "ops"), ("/audit", "ops"), ("/admin", "root-admin"), ("/settings", "root-admin") })
            {
                var allowed = user == "root-admin" || (user == "ops" && needs == "ops");
                var response = await page.GotoAsync(path);
                Assert.True(response!.Status == (allowed ? 200 : 403), $"{user} {path}: {response.Status}");
                if (!allowed)
                {
                    await Expect(page.Locator("h1")).ToHaveTextAsync("Not allowed");
                }
            }

            // Signing out ends the session: the next page asks for a sign-in again.
            await page.ClickAsync("header button[type=submit]");
            try
            {
                await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/login", new PageWaitForURLOptions { Timeout = 30_000 });
            }
            catch (TimeoutException)
            {
                Assert.Fail($"{user}: after Sign out the page is at {page.Url}, not /login: {await page.ContentAsync()}");
            }

            await page.GotoAsync("/worklist");
            Assert.Contains("/login", page.Url, StringComparison.Ordinal);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_overview_follows_a_run_without_a_reload_and_a_reader_records_a_verdict_by_keyboard()
    {
        var ops = await _host.SignInAsync("ops");
        await ops.GotoAsync("/overview");
        await Expect(ops.Locator("#overview[data-loaded=true]")).ToBeVisibleAsync();
        await ops.EvaluateAsync("() => { window.__sameDocument = true; }");

        // While studies wait out their quiet period, the page's numbers equal /api/status's.
        var views = _host.Stage(8, seed: 1515);
        _host.Drop();
        var inFlight = false;
        await Eventually.UntilAsync(
            async () =>
            {
                var shown = await ShownCountsAsync(ops);
                using var status = JsonDocument.Parse(await (await ops.APIRequest.GetAsync("/api/status")).TextAsync());
                var api = Counts(status.RootElement);
                inFlight = api["views.received"] + api["views.queued"] > 0 || api["studies.received"] + api["studies.queued"] > 0;
                return inFlight && shown.SequenceEqual(api);
            },
            Deadline,
            "the overview to show /api/status's counts while studies are in flight");
        await Eventually.UntilAsync(
            async () => (await ShownCountsAsync(ops))["views.scored"] == views,
            Deadline,
            $"the overview to show all {views} views scored");
        Assert.True(await ops.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the overview reloaded instead of updating in place");
        Assert.True(await ops.Locator("#rate-chart rect").CountAsync() == 60);
        await Expect(ops.Locator("#replicas tbody tr")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        await _host.ScreenshotAsync(ops, "overview");

        // A reader opens the top study of the worklist, sees its heatmap load, and records a verdict with the A key.
        var reader = await _host.SignInAsync("dr-reader");
        await reader.GotoAsync("/worklist");
        var top = await reader.Locator("table.worklist tbody tr").First.GetAttributeAsync("data-study");
        var topScore = await _host.QueryAsync(db => db.Studies.Where(s => s.State == StudyState.Scored).OrderByDescending(s => s.Score).Select(s => s.StudyInstanceUid).FirstAsync());
        Assert.Equal(topScore, top);
        await _host.ScreenshotAsync(reader, "worklist");
        await reader.Locator("table.worklist tbody tr").First.Locator("a").ClickAsync();
        await reader.WaitForURLAsync($"**/studies/{top}");
        await Eventually.UntilAsync(
            async () => await reader.EvaluateAsync<bool>("() => { const h = document.querySelector('.picture img.heat'); return !!h && h.complete && h.naturalWidth > 0; }"),
            TimeSpan.FromSeconds(30),
            "the heatmap image to load");
        await _host.ScreenshotAsync(reader, "study");
        await reader.Keyboard.PressAsync("a");
        await Expect(reader.Locator("#latest-verdict")).ToHaveTextAsync("abnormal by dr-reader");
        using (var history = JsonDocument.Parse(await (await reader.APIRequest.GetAsync($"/api/studies/{top}/verdicts")).TextAsync()))
        {
            var latest = history.RootElement.EnumerateArray().First();
            Assert.Equal(("dr-reader", true), (latest.GetProperty("reader").GetString(), latest.GetProperty("abnormal").GetBoolean()));
        }

        // The heatmap toggles with H.
        await reader.Keyboard.PressAsync("h");
        Assert.Equal("0", await reader.EvaluateAsync<string>("() => document.querySelector('.picture img.heat').style.opacity"));

        // The verdict is in the audit trail the operator reads.
        await ops.GotoAsync("/audit?action=verdict.add");
        await Expect(ops.Locator("table.grid tbody tr").First).ToContainTextAsync("dr-reader");
        await _host.ScreenshotAsync(ops, "audit");
        foreach (var (path, name) in new[] { ("/models", "models"), ("/exports", "exports"), ("/failures", "failures") })
        {
            await ops.GotoAsync(path);
            await _host.ScreenshotAsync(ops, name);
        }

        var admin = await _host.SignInAsync("root-admin", 3840, 2160);
        await admin.GotoAsync("/admin");
        await _host.ScreenshotAsync(admin, "admin");
        await admin.GotoAsync($"/studies/{top}");
        await _host.ScreenshotAsync(admin, "study-4k");
        var login = await (await admin.Context.Browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = _host.Url.ToString().TrimEnd('/') })).NewPageAsync();
        await login.GotoAsync("/login");
        await _host.ScreenshotAsync(login, "login");
    }

    /// <summary>The overview's counts, as the page shows them.</summary>
    private static async Task<SortedDictionary<string, int>> ShownCountsAsync(IPage page)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var kind in new[] { "studies", "views" })
        {
            foreach (var state in new[] { "received", "queued", "scored", "failed" })
            {
                var text = await page.Locator($"[data-field='status.{kind}.{state}']").InnerTextAsync();
                counts[$"{kind}.{state}"] = int.TryParse(text, out var n) ? n : -1;
            }
        }

        return counts;
    }

    private static SortedDictionary<string, int> Counts(JsonElement status)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var kind in new[] { "studies", "views" })
        {
            foreach (var state in new[] { "received", "queued", "scored", "failed" })
            {
                counts[$"{kind}.{state}"] = status.GetProperty(kind).GetProperty(state).GetInt32();
            }
        }

        return counts;
    }
}
