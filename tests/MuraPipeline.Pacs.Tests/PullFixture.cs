using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Hosting;
using MuraPipeline.Phantoms;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Pacs.Tests;

/// <summary>A SQLite database, a watched folder and the PACS services over them, configured for one test's PACS.</summary>
public sealed class PullFixture : IAsyncDisposable
{
    private readonly SqliteServices _sqlite;

    private PullFixture(SqliteServices sqlite) => _sqlite = sqlite;

    public string Dir => _sqlite.Folder;

    public string Watch => Path.Combine(Dir, "watch");

    public ServiceProvider Services => _sqlite.Provider;

    public static async Task<PullFixture> StartAsync(IDictionary<string, string?> settings, TimeProvider? clock = null)
    {
        var dir = Peers.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "watch"));
        var all = new Dictionary<string, string?>(settings) { ["Ingest:WatchDir"] = Path.Combine(dir, "watch") };
        return new PullFixture(await SqliteServices.StartAsync(
            all,
            (services, configuration, database) => services
                .AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
                .AddMuraData(database, configuration)
                .AddSingleton(clock ?? TimeProvider.System)
                .AddPacs(configuration),
            dir));
    }

    /// <summary>Every match of a search, as `mura pacs find` lists them (the PACS's own cap only).</summary>
    public static async Task<IReadOnlyList<StudyMatch>> FindAsync(DicomClient client, PacsQuery query) =>
        (await PacsFinder.FindAsync(client, query, 0, StudyTypeResolver.Default, TimeProvider.System, default)).Matches;

    public async Task<PullJob> RecordAsync(string node, string retrieve, IReadOnlyList<StudyMatch> studies, int maxConcurrent = 1)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PullJobs>().CreateAsync(node, retrieve, new PacsQuery(), studies, maxConcurrent, 0, new AuditActor("test", "local"), default);
    }

    public async Task<List<PullStudy>> StudiesAsync(Guid job)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PullJobs>().StudiesAsync(job, default);
    }

    /// <summary>Phantom studies written as DICOM under DIR/name; the files of each study.</summary>
    public Dictionary<string, string[]> Phantoms(int count, int seed, string name)
    {
        var root = Path.Combine(Dir, name);
        PhantomWriter.WriteAll(new PhantomGenerator((ulong)seed, minSide: 256, maxSide: 320), count, root, PhantomFormat.Dicom);
        return Directory.GetFiles(root, "*.dcm", SearchOption.AllDirectories)
            .GroupBy(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.StudyInstanceUid)!)
            .ToDictionary(g => g.Key, g => g.ToArray());
    }

    public ValueTask DisposeAsync() => _sqlite.DisposeAsync();
}
