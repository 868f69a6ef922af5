using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Hosting;
using MuraPipeline.Phantoms;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Ingest.Tests;

/// <summary>
/// The ingest stages on a real (SQLite) database, real files and the MassTransit test harness: the one per-file stage,
/// for the watched folder and for `screen`, and study assembly (room for 3 views in flight here).
/// </summary>
public sealed class FileIngestTests : IAsyncLifetime
{
    private SqliteServices _sqlite = null!;
    private AsyncServiceScope _scope;
    private MuraDbContext _db = null!;
    private FileIngest _ingest = null!;

    private string Watch => Path.Combine(_sqlite.Folder, "watch");

    public async Task InitializeAsync()
    {
        var dir = Peers.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "watch"));
        _sqlite = await SqliteServices.StartAsync(
            new Dictionary<string, string?> { ["Ingest:WatchDir"] = Path.Combine(dir, "watch"), ["Ingest:MaxQueuedViews"] = "3" },
            (services, configuration, database) =>
            {
                services.AddMuraData(database, configuration)
                    .AddMassTransitTestHarness(bus => bus.ConfigureUsageTelemetryOptions(o => o.Enabled = false))
                    .AddSingleton<RegistrationWriter>()
                    .AddScoped<FileIngest>()
                    .AddScoped<ScoreQueue>()
                    .AddScoped<StudyAssembler>();
                services.AddOptions<IngestOptions>().Bind(configuration.GetSection(IngestOptions.Section));
                return services;
            },
            dir);
        _scope = _sqlite.Provider.CreateAsyncScope();
        _db = _scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        _ingest = _scope.ServiceProvider.GetRequiredService<FileIngest>();
        await _sqlite.Provider.GetRequiredService<ITestHarness>().Start();
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        await _sqlite.DisposeAsync();
    }

    [Fact]
    public async Task Files_are_archived_after_their_rows_a_corrupt_one_fails_with_a_reason_and_a_resend_is_kept_aside()
    {
        var study = new PhantomGenerator(7, minSide: 300, maxSide: 400).Generate(0);
        var staging = Path.Combine(_sqlite.Folder, "staging");
        PhantomWriter.WriteDicom(study, staging);
        var files = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var first = Path.Combine(Watch, "a", Path.GetFileName(files[0]));
        Directory.CreateDirectory(Path.GetDirectoryName(first)!);
        File.Copy(files[0], first);
        var corrupt = Path.Combine(Watch, "broken.dcm");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(files[0])[..400]);

        Assert.Equal(FileOutcome.Registered, (await _ingest.TakeAsync(first, FileDisposition.Archive, default)).Outcome);
        Assert.Equal(FileOutcome.Failed, (await _ingest.TakeAsync(corrupt, FileDisposition.Archive, default)).Outcome);

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
        await _scope.ServiceProvider.GetRequiredService<StudyQueue>().MarkViewsQueuedAsync([view.Id], default);
        File.Copy(files[0], first);
        Assert.Equal(FileOutcome.Duplicate, (await _ingest.TakeAsync(first, FileDisposition.Archive, default)).Outcome);
        Assert.True(File.Exists(Path.Combine(Watch + ".archive", ".duplicates", "a", Path.GetFileName(files[0]))));
        Assert.Equal(2, await _db.Views.CountAsync());
        Assert.Empty(Directory.EnumerateFiles(Watch, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_view_failed_at_ingest_and_asked_to_be_read_again_gets_its_file_back_in_the_watched_folder()
    {
        var study = new PhantomGenerator(9, minSide: 300, maxSide: 400).Generate(0);
        var staging = Path.Combine(_sqlite.Folder, "staging");
        PhantomWriter.WriteDicom(study, staging);
        var good = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = await File.ReadAllBytesAsync(good);
        var cut = Path.Combine(Watch, "p", "cut.dcm");
        Directory.CreateDirectory(Path.GetDirectoryName(cut)!);
        await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length * 3 / 4)]); // the header reads, the pixels end early
        Assert.Equal(FileOutcome.Failed, (await _ingest.TakeAsync(cut, FileDisposition.Archive, default)).Outcome);
        var view = await _db.Views.AsNoTracking().SingleAsync();
        Assert.Equal(ViewState.Failed, view.State);

        // Nothing is asked: a pass moves nothing. Asked: the file goes back (its reason file gone), once.
        var store = _scope.ServiceProvider.GetRequiredService<StudyStore>();
        Assert.Equal(0, await _ingest.ReturnFilesToReadAgainAsync(default));
        var failed = Path.Combine(Watch + ".failed", "p", "cut.dcm");
        await File.WriteAllBytesAsync(failed, bytes); // the operator fixed it (a complete copy from the PACS)
        Assert.Equal(RetryOutcome.ReadAgain, await store.RetryViewAsync(view.Id, default));
        Assert.Equal(1, await _ingest.ReturnFilesToReadAgainAsync(default));
        Assert.Equal(0, await _ingest.ReturnFilesToReadAgainAsync(default));
        Assert.False(File.Exists(failed));
        Assert.False(File.Exists(failed + ".reason.txt"));
        Assert.True(File.Exists(cut));

        // Read again, it revives the same view with a derivative; nothing is duplicated.
        Assert.Equal(FileOutcome.Registered, (await _ingest.TakeAsync(cut, FileDisposition.Archive, default)).Outcome);
        var revived = await _db.Views.AsNoTracking().SingleAsync();
        Assert.Equal((view.Id, ViewState.Received, (string?)null), (revived.Id, revived.State, revived.Error));
        Assert.True(await _db.ViewImages.AnyAsync(i => i.ViewId == view.Id));
        Assert.Equal(0, (await _db.Studies.AsNoTracking().SingleAsync()).FailedViews);

        // Failed later (at inference), it has a derivative: a retry scores that again instead of reading the file; twice changes nothing.
        await store.FailViewAsync(view.Id, "scoring failed", null, default);
        Assert.Equal(RetryOutcome.Reopened, await store.RetryViewAsync(view.Id, default));
        Assert.Equal(RetryOutcome.NotFailed, await store.RetryViewAsync(view.Id, default));

        // A request whose file has gone from the failed folder leaves its view failed with a reason that says so.
        var other = Path.Combine(Watch, "q", "cut.dcm");
        Directory.CreateDirectory(Path.GetDirectoryName(other)!);
        var second = Directory.GetFiles(staging, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Last();
        var secondBytes = await File.ReadAllBytesAsync(second);
        await File.WriteAllBytesAsync(other, secondBytes[..(secondBytes.Length * 3 / 4)]);
        Assert.Equal(FileOutcome.Failed, (await _ingest.TakeAsync(other, FileDisposition.Archive, default)).Outcome);
        var lost = await _db.Views.AsNoTracking().SingleAsync(v => v.State == ViewState.Failed);
        File.Delete(Path.Combine(Watch + ".failed", "q", "cut.dcm"));
        Assert.Equal(RetryOutcome.ReadAgain, await store.RetryViewAsync(lost.Id, default));
        Assert.Equal(0, await _ingest.ReturnFilesToReadAgainAsync(default));
        Assert.Contains("not in the failed folder", (await _db.Views.AsNoTracking().SingleAsync(v => v.Id == lost.Id)).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Screen_leaves_the_users_files_untouched_and_a_second_copy_of_an_instance_is_a_duplicate_not_a_second_view()
    {
        var input = Path.Combine(_sqlite.Folder, "input");
        PhantomWriter.WriteDicom(new PhantomGenerator(8, minSide: 300, maxSide: 400).Generate(0), input);
        var file = Directory.GetFiles(input, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var copy = Path.Combine(input, "copy-of-first.dcm");
        File.Copy(file, copy);
        var broken = Path.Combine(input, "broken.dcm");
        File.WriteAllBytes(broken, File.ReadAllBytes(file)[..400]);
        var before = Directory.GetFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f => (f, File.GetLastWriteTimeUtc(f), new FileInfo(f).Length)).ToList();

        Assert.Equal(FileOutcome.Registered, (await _ingest.TakeAsync(file, FileDisposition.LeaveInPlace, default)).Outcome);
        Assert.Equal(FileOutcome.Duplicate, (await _ingest.TakeAsync(copy, FileDisposition.LeaveInPlace, default)).Outcome);
        var failed = await _ingest.TakeAsync(broken, FileDisposition.LeaveInPlace, default);
        Assert.Equal(FileOutcome.Failed, failed.Outcome);
        Assert.False(string.IsNullOrWhiteSpace(failed.Reason));

        // Nothing moved, renamed, added or changed in the input; the rows point at the files where they are.
        Assert.Equal(before, Directory.GetFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f => (f, File.GetLastWriteTimeUtc(f), new FileInfo(f).Length)).ToList());
        Assert.Equal(new[] { broken, file }.Order(StringComparer.Ordinal), (await _db.Views.AsNoTracking().Select(v => v.SourcePath).ToListAsync()).Order(StringComparer.Ordinal));
        Assert.False(Directory.Exists(Watch + ".archive"));
        Assert.False(Directory.Exists(Watch + ".failed"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Of_a_truncated_and_a_good_copy_of_one_instance_the_good_one_is_the_view_whichever_comes_first(bool badFirst)
    {
        var input = Path.Combine(_sqlite.Folder, "copies");
        PhantomWriter.WriteDicom(new PhantomGenerator(9, minSide: 300, maxSide: 400).Generate(0), input);
        var good = Directory.GetFiles(input, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bad = Path.Combine(input, "truncated.bin");
        File.WriteAllBytes(bad, File.ReadAllBytes(good)[..(int)(new FileInfo(good).Length / 3)]);

        var order = badFirst ? new[] { bad, good } : [good, bad];
        var outcomes = new List<FileOutcome>();
        foreach (var f in order)
        {
            outcomes.Add((await _ingest.TakeAsync(f, FileDisposition.LeaveInPlace, default)).Outcome);
        }

        // A copy that comes after the view has its derivative is not read at all: it is a duplicate.
        Assert.Equal(badFirst ? [FileOutcome.Failed, FileOutcome.Registered] : new[] { FileOutcome.Registered, FileOutcome.Duplicate }, outcomes);
        var view = await _db.Views.AsNoTracking().SingleAsync();
        Assert.Equal((ViewState.Received, good, (string?)null), (view.State, view.SourcePath, view.Error));
        Assert.True(view.Width > 0);
        var study = await _db.Studies.AsNoTracking().SingleAsync();
        Assert.Equal((1, 0, StudyState.Open), (study.ViewCount, study.FailedViews, study.State));
    }

    [Fact]
    public async Task Assembly_holds_studies_back_while_inference_has_no_room_and_hands_their_claims_back()
    {
        var store = _scope.ServiceProvider.GetRequiredService<StudyStore>();
        var db = _db;
        var views = new Dictionary<string, List<Guid>>();
        foreach (var study in new[] { "5.1", "5.2", "5.3" })
        {
            views[study] = [];
            for (var i = 0; i < 2; i++)
            {
                var sop = $"{study}.{i}";
                views[study].Add((await store.RegisterAsync(new InstanceFile(study, "dicom", "HAND", "P5", sop, null, $"/{sop}", $"/{sop}"), new Derivative([1, 2, 3], 1, 1, 1, 1), null, default)).ViewId);
            }
        }

        var assembler = _scope.ServiceProvider.GetRequiredService<StudyAssembler>();
        var quietSince = DateTimeOffset.UtcNow.AddSeconds(1);

        // Room for 3 views: two studies go (a whole study at a time: 4 views), the third is held and its claim handed back.
        Assert.Equal((2, 4, true), Counts(await assembler.AssembleAsync(quietSince, 10, default)));
        Assert.Equal(4, await db.Views.CountAsync(v => v.State == ViewState.Queued));
        var held = await db.Studies.AsNoTracking().SingleAsync(s => s.State == StudyState.Open);
        Assert.Null(held.LeaseOwner);
        Assert.Equal((0, 0, true), Counts(await assembler.AssembleAsync(quietSince, 10, default)));
        Assert.Equal(4, _sqlite.Provider.GetRequiredService<ITestHarness>().Sent.Select<ViewQueued>().Count());
        Assert.All(_sqlite.Provider.GetRequiredService<ITestHarness>().Sent.Select<ViewQueued>(), m => Assert.EndsWith("/score-views", m.Context.DestinationAddress!.AbsolutePath, StringComparison.Ordinal));

        // One study's views come back scored: room again, and the held study goes.
        Assert.Equal("5.3", held.StudyInstanceUid); // the quietest first
        await store.RecordOutcomesAsync(views["5.1"].Select(v => new ViewOutcome(v, 0.2, null, null, null)).ToList(), "sha", Guid.NewGuid(), default);
        Assert.Equal((1, 2, false), Counts(await assembler.AssembleAsync(quietSince, 10, default)));
        Assert.Equal(StudyState.Queued, (await db.Studies.AsNoTracking().SingleAsync(s => s.Id == held.Id)).State);
        Assert.Equal(6, _sqlite.Provider.GetRequiredService<ITestHarness>().Sent.Select<ViewQueued>().Count());

        // Among named studies only (screen names each study once its files are all in): of two quiet ones, the named one goes.
        await store.RecordOutcomesAsync(views["5.2"].Concat(views["5.3"]).Select(v => new ViewOutcome(v, 0.2, null, null, null)).ToList(), "sha", Guid.NewGuid(), default);
        var other = (await store.RegisterAsync(new InstanceFile("5.4", "dicom", "HAND", "P5", "5.4.0", null, "/5.4.0", "/5.4.0"), new Derivative([1, 2, 3], 1, 1, 1, 1), null, default)).StudyId;
        var named = (await store.RegisterAsync(new InstanceFile("5.5", "dicom", "HAND", "P5", "5.5.0", null, "/5.5.0", "/5.5.0"), new Derivative([1, 2, 3], 1, 1, 1, 1), null, default)).StudyId;
        var pass = await assembler.AssembleAsync(DateTimeOffset.UtcNow.AddDays(1), 10, default, [named]);
        Assert.Equal((1, 1, false), Counts(pass));
        Assert.Equal([named], pass.QueuedStudies);
        Assert.Equal(StudyState.Open, (await db.Studies.AsNoTracking().SingleAsync(s => s.Id == other)).State);
    }

    private static (int Studies, int Views, bool Full) Counts(AssemblyPass pass) => (pass.Studies, pass.Views, pass.Full);
}
