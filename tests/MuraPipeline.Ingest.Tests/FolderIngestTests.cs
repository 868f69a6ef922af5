using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Ingest.Tests;

/// <summary>The watched folder's per-file step on a real (SQLite) database and real files.</summary>
public sealed class FolderIngestTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private MuraDbContext _db = null!;
    private FolderIngest _ingest = null!;

    private string Watch => Path.Combine(_dir, "watch");

    public async Task InitializeAsync()
    {
        var o = new DbContextOptionsBuilder<MuraDbContext>();
        o.UseEmbeddedSqlite(Path.Combine(_dir, "t.db"));
        _db = new MuraDbContext(o.Options);
        await DatabaseSetup.MigrateAsync(_db, default);
        Directory.CreateDirectory(Watch);
        var options = Options.Create(new IngestOptions { WatchDir = Watch });
        _ingest = new FolderIngest(new StudyStore(_db, TimeProvider.System), options, Options.Create(new ScoringOptions()), NullLogger<FolderIngest>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Files_are_archived_after_their_rows_a_corrupt_one_fails_with_a_reason_and_a_resend_is_kept_aside()
    {
        var study = new PhantomGenerator(7, minSide: 300, maxSide: 400).Generate(0);
        var staging = Path.Combine(_dir, "staging");
        PhantomWriter.WriteDicom(study, staging);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var first = Path.Combine(Watch, "a", Path.GetFileName(files[0]));
        Directory.CreateDirectory(Path.GetDirectoryName(first)!);
        File.Copy(files[0], first);
        var corrupt = Path.Combine(Watch, "broken.dcm");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(files[0])[..400]);

        Assert.Equal(FileOutcome.Registered, await _ingest.TakeAsync(first, default));
        Assert.Equal(FileOutcome.Failed, await _ingest.TakeAsync(corrupt, default));

        // Registered: row, derivative, file moved under the same relative path; nothing left in the watched folder.
        Assert.False(File.Exists(first));
        var archived = Path.Combine(Watch + ".archive", "a", Path.GetFileName(files[0]));
        Assert.True(File.Exists(archived));
        var view = await _db.Views.AsNoTracking().SingleAsync(v => v.SourcePath == archived);
        Assert.Equal(ViewState.Received, view.State);
        Assert.True(await _db.ViewImages.AnyAsync(i => i.ViewId == view.Id));

        // Failed: the view carries the reason, the file sits in the failed folder beside a reason an operator can read.
        var failed = Path.Combine(Watch + ".failed", "broken.dcm");
        Assert.True(File.Exists(failed));
        var reason = (await File.ReadAllTextAsync(failed + ".reason.txt")).Trim();
        Assert.Contains("broken.dcm", (await _db.Views.AsNoTracking().SingleAsync(v => v.State == ViewState.Failed)).SourcePath, StringComparison.Ordinal);
        Assert.Equal(reason, (await _db.Views.AsNoTracking().SingleAsync(v => v.State == ViewState.Failed)).Error);
        Assert.False(string.IsNullOrWhiteSpace(reason));

        // The same instance sent again once it is queued: no second row, the copy is kept under .duplicates.
        await new StudyStore(_db, TimeProvider.System).MarkViewQueuedAsync(view.Id, default);
        File.Copy(files[0], first);
        Assert.Equal(FileOutcome.Duplicate, await _ingest.TakeAsync(first, default));
        Assert.True(File.Exists(Path.Combine(Watch + ".archive", ".duplicates", "a", Path.GetFileName(files[0]))));
        Assert.Equal(2, await _db.Views.CountAsync());
        Assert.Empty(Directory.EnumerateFiles(Watch, "*", SearchOption.AllDirectories));
    }
}
