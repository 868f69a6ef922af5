using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Ingest.Tests;

/// <summary>Study assembly on a real (SQLite) database and the MassTransit test harness: what it sends, and when it holds back.</summary>
public sealed class StudyAssemblerTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private ServiceProvider _services = null!;
    private AsyncServiceScope _scope;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ingest:MaxQueuedViews"] = "3" }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddMuraData(new DatabaseTarget(null, Path.Combine(_dir, "t.db")), configuration)
            .AddMassTransitTestHarness(bus => bus.ConfigureUsageTelemetryOptions(o => o.Enabled = false))
            .AddScoped<StudyAssembler>();
        services.AddOptions<IngestOptions>().Bind(configuration.GetSection(IngestOptions.Section));
        _services = services.BuildServiceProvider();
        _scope = _services.CreateAsyncScope();
        await DatabaseSetup.MigrateAsync(_scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
        await _services.GetRequiredService<ITestHarness>().Start();
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Assembly_holds_studies_back_while_inference_has_no_room_and_hands_their_claims_back()
    {
        var store = _scope.ServiceProvider.GetRequiredService<StudyStore>();
        var db = _scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var views = new Dictionary<string, List<Guid>>();
        foreach (var study in new[] { "5.1", "5.2", "5.3" })
        {
            views[study] = [];
            for (var i = 0; i < 2; i++)
            {
                var sop = $"{study}.{i}";
                views[study].Add((await store.RegisterAsync(new InstanceFile(study, "dicom", "HAND", "P5", sop, null, $"/{sop}", $"/{sop}"), new Derivative([1, 2, 3], 1, 1, 1, 1), null, false, default)).ViewId);
            }
        }

        var assembler = _scope.ServiceProvider.GetRequiredService<StudyAssembler>();
        var quietSince = DateTimeOffset.UtcNow.AddSeconds(1);

        // Room for 3 views: two studies go (a whole study at a time: 4 views), the third is held and its claim handed back.
        Assert.Equal((2, 4, true), await assembler.AssembleAsync(quietSince, 10, default));
        Assert.Equal(4, await db.Views.CountAsync(v => v.State == ViewState.Queued));
        var held = await db.Studies.AsNoTracking().SingleAsync(s => s.State == StudyState.Open);
        Assert.Null(held.LeaseOwner);
        Assert.Equal((0, 0, true), await assembler.AssembleAsync(quietSince, 10, default));
        Assert.Equal(4, _services.GetRequiredService<ITestHarness>().Published.Select<ViewQueued>().Count());

        // One study's views come back scored: room again, and the held study goes.
        Assert.Equal("5.3", held.StudyInstanceUid); // the quietest first
        await store.RecordOutcomesAsync(views["5.1"].Select(v => new ViewOutcome(v, 0.2, null, null, null)).ToList(), "sha", Guid.NewGuid(), default);
        Assert.Equal((1, 2, false), await assembler.AssembleAsync(quietSince, 10, default));
        Assert.Equal(StudyState.Queued, (await db.Studies.AsNoTracking().SingleAsync(s => s.Id == held.Id)).State);
        Assert.Equal(6, _services.GetRequiredService<ITestHarness>().Published.Select<ViewQueued>().Count());
    }
}
