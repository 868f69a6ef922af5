using MuraPipeline.Tests;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Phantoms;
using static Microsoft.Playwright.Assertions;

namespace MuraPipeline.BrowserTests;

/// <summary>
/// Studies labelled as real archives label them reach the console with their type and its source: an ankle is set
/// aside out of scope (its own worklist filter and overview count), a description-only study says so, and a study no
/// header names is flagged as typed by the model.
/// </summary>
public sealed class StudyTypePageTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private readonly ConsoleHost _host = new();

    public async Task InitializeAsync()
    {
        await _host.StartAsync("ingest,inference,api");
        await _host.AddUserAsync("dr-reader", AccessRole.Reader);
        await _host.AddUserAsync("ops", AccessRole.Operator);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_worklist_shows_where_each_type_came_from_and_lists_studies_out_of_scope_apart()
    {
        _host.Stage(3, seed: 3636);
        var uids = PhantomWriter.Relabel(_host.Staging, [("ANKLE", "XR ANKLE 3V"), (null, "XR WRIST 3V LT"), (null, null)]);
        _host.Drop();
        await Eventually.UntilAsync(
            async () => await _host.QueryAsync(db => db.Studies.CountAsync(s => s.State == StudyState.Scored || s.State == StudyState.OutOfScope)) == 3,
            Deadline,
            "the three studies to be scored or set aside");

        var reader = await _host.SignInAsync("dr-reader");
        await reader.GotoAsync("/worklist?state=out_of_scope");
        var aside = reader.Locator("table.worklist tbody tr");
        await Expect(aside).ToHaveCountAsync(1);
        Assert.Equal(uids[0], await aside.First.GetAttributeAsync("data-study"));
        await Expect(aside.First.Locator("[data-field=out-of-scope]")).ToHaveTextAsync("out of scope");
        await Expect(aside.First).ToContainTextAsync("ANKLE");
        await Expect(aside.First).Not.ToContainTextAsync("normal");

        await reader.GotoAsync("/worklist");
        var scored = reader.Locator("table.worklist tbody tr");
        await Expect(scored).ToHaveCountAsync(2);
        await Expect(reader.Locator($"tr[data-study='{uids[1]}'] [data-field=type-source]")).ToHaveTextAsync("from description");
        await Expect(reader.Locator($"tr[data-study='{uids[1]}']")).ToContainTextAsync("WRIST");
        await Expect(reader.Locator($"tr[data-study='{uids[2]}'] [data-field=type-source]")).ToHaveTextAsync("from the model");
        await _host.ScreenshotAsync(reader, "worklist-types");

        // The study page says the same; the set-aside study has no verdict-worthy score and no flag.
        await reader.GotoAsync($"/studies/{uids[0]}");
        await Expect(reader.Locator(".facts [data-field=out-of-scope]")).ToBeVisibleAsync();
        await Expect(reader.Locator("#study-score")).ToHaveTextAsync("–");
        await Expect(reader.Locator("h1 .flag")).ToHaveCountAsync(0);

        // The operator's overview counts it.
        var ops = await _host.SignInAsync("ops");
        await ops.GotoAsync("/overview");
        await Expect(ops.Locator("[data-field='status.studies.out_of_scope']")).ToHaveTextAsync("1");
    }
}
