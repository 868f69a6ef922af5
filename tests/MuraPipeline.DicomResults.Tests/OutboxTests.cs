using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Hosting;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.DicomResults.Tests;

/// <summary>The outbox's rules on a real SQLite database: when a study needs objects, and that its objects are stored once.</summary>
public sealed class OutboxTests : IAsyncLifetime
{
    private SqliteServices _sqlite = null!;

    public async Task InitializeAsync()
    {
        _sqlite = await SqliteServices.StartAsync(
            new Dictionary<string, string?>
            {
                ["Results:SendOn"] = "verdict",
                ["Results:Destinations:a:AeTitle"] = "A",
                ["Results:Destinations:b:AeTitle"] = "B",
            },
            (services, configuration, database) => services.AddMuraData(database, configuration).AddResults(configuration, worker: false));
    }

    public async Task DisposeAsync()
    {
        await _sqlite.DisposeAsync();
    }

    [Fact]
    public async Task With_send_on_verdict_a_study_waits_for_its_verdict_and_its_objects_are_stored_once_per_model()
    {
        using var objects = new ResultObjectTests();
        var study = objects.Scored();
        var id = Guid.NewGuid();
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            db.Studies.Add(new Study { Id = id, StudyInstanceUid = study.StudyInstanceUid, Source = "dicom", State = StudyState.Scored, ModelSha256 = study.ModelSha256, Score = study.Score, ViewCount = study.Views.Count });
            db.Studies.Add(new Study { Id = Guid.NewGuid(), StudyInstanceUid = "2.25.77", Source = "dicom", State = StudyState.Queued, ViewCount = 1 });
            await db.SaveChangesAsync();
        }

        async Task<List<Guid>> Waiting()
        {
            await using var scope = _sqlite.Provider.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().StudiesWithoutResultsAsync(null, 10, default);
        }

        Assert.Empty(await Waiting());
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            db.Verdicts.Add(new Verdict { StudyInstanceUid = study.StudyInstanceUid, Abnormal = true, ReaderId = "dr", Source = "api", ReadAt = DateTimeOffset.UtcNow, RecordedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        Assert.Equal([id], await Waiting());
        var built = ResultWriter.Build(study, _sqlite.Provider.GetRequiredService<IOptions<ResultOptions>>().Value, DateTimeOffset.UtcNow);
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            Assert.True(await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().RecordAsync(id, study, built, default));
        }

        // A second replica that built the same objects meanwhile stores nothing: the UIDs are the same.
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            Assert.False(await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().RecordAsync(id, study, ResultWriter.Build(study, new ResultOptions(), DateTimeOffset.UtcNow.AddMinutes(1)), default)
                || await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().RecordAsync(id, study, built, default));
        }

        Assert.Empty(await Waiting());
        await using (var scope = _sqlite.Provider.CreateAsyncScope())
        {
            var counts = await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().CountsAsync(default);
            Assert.Equal((built.Count, 2 * built.Count, 0), (counts.Objects, counts.Pending, counts.Sent));
        }
    }
}
