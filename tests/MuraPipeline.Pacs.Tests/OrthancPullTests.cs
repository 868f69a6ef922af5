using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Tests;

namespace MuraPipeline.Pacs.Tests;

/// <summary>Debian's Orthanc as the PACS: Study Root C-FIND, and pull jobs by C-MOVE to our receiver and by C-GET.</summary>
public sealed class OrthancPullTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private StoreScp _scp = null!;
    private OrthancServer _orthanc = null!;
    private PullFixture _pull = null!;
    private Dictionary<string, string[]> _studies = null!;
    private string _chestSeries = null!;

    public async Task InitializeAsync()
    {
        _pull = await PullFixture.StartAsync(new Dictionary<string, string?>());
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", AllowedCallingAeTitles = OrthancServer.AeTitle }, _pull.Watch, NullLogger.Instance);
        _scp.Start();
        _orthanc = await OrthancServer.StartAsync(Path.Combine(_dir, "orthanc"), new Dictionary<string, (string, int)> { ["mura"] = ("MURA", _scp.Port) });
        _studies = _pull.Phantoms(3, seed: 1616, "phantoms");

        // A chest series in the first study: on the PACS and listed by find, never pulled.
        var first = _studies.Keys.Order(StringComparer.Ordinal).First();
        var chest = DicomFile.Open(_studies[first][0]);
        _chestSeries = "2.25.16" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999);
        chest.Dataset.AddString(DicomTag.SeriesInstanceUid, "UI", _chestSeries);
        chest.Dataset.AddString(DicomTag.SopInstanceUid, "UI", _chestSeries + ".1");
        chest.Dataset.AddString(DicomTag.BodyPartExamined, "CS", "CHEST");
        chest.Meta.AddString(DicomTag.MediaStorageSopInstanceUid, "UI", _chestSeries + ".1");
        var chestFile = Path.Combine(_dir, "chest.dcm");
        await using (var f = File.Create(chestFile))
        {
            DicomWriter.Write(f, chest);
        }

        await _orthanc.UploadAsync([.. _studies.Values.SelectMany(v => v), chestFile]);
    }

    public async Task DisposeAsync()
    {
        await _orthanc.DisposeAsync();
        await _scp.DisposeAsync();
        await _pull.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private DicomClient Client() => new("127.0.0.1", _orthanc.DicomPort, "MURA", OrthancServer.AeTitle);

    [Fact]
    public async Task Find_lists_exactly_the_studies_with_their_series_and_filters_on_modality_and_body_part()
    {
        var all = await PullFixture.FindAsync(Client(), new PacsQuery());
        Assert.Equal(_studies.Keys.Order(StringComparer.Ordinal), all.Select(m => m.StudyInstanceUid).Order(StringComparer.Ordinal));
        foreach (var m in all)
        {
            var files = _studies[m.StudyInstanceUid];
            var header = DicomFile.OpenHeader(files[0]).Dataset;
            Assert.Equal(header.GetString(DicomTag.StudyDate), m.StudyDate);
            Assert.Equal(files.Length, m.WantedInstances);
            Assert.Contains(header.GetString(DicomTag.Modality)!, m.Modalities);
        }

        var withChest = Assert.Single(all, m => m.Series.Any(s => s.SeriesInstanceUid == _chestSeries));
        Assert.Equal(_studies[withChest.StudyInstanceUid].Length + 1, withChest.Instances);
        Assert.False(withChest.Series.Single(s => s.SeriesInstanceUid == _chestSeries).Wanted);

        // Body part is a series attribute: the filter finds the study by any of its series.
        var part = DicomFile.OpenHeader(_studies.Values.First()[0]).Dataset.GetString(DicomTag.BodyPartExamined)!;
        var byPart = await PullFixture.FindAsync(Client(), new PacsQuery { BodyPart = part });
        Assert.Equal(_studies.Where(s => DicomFile.OpenHeader(s.Value[0]).Dataset.GetString(DicomTag.BodyPartExamined) == part).Select(s => s.Key).Order(StringComparer.Ordinal),
            byPart.Select(m => m.StudyInstanceUid).Order(StringComparer.Ordinal));
        Assert.Single(await PullFixture.FindAsync(Client(), new PacsQuery { BodyPart = "CHEST" }));
        Assert.Empty(await PullFixture.FindAsync(Client(), new PacsQuery { Modalities = ["MR"] }));
        var one = _studies.Keys.First();
        Assert.Equal(one, Assert.Single(await PullFixture.FindAsync(Client(), new PacsQuery { StudyUids = [one] })).StudyInstanceUid);
    }

    [Theory]
    [InlineData("move")]
    [InlineData("get")]
    public async Task A_pull_retrieves_every_wanted_instance_once_and_a_second_job_pulls_nothing_again(string retrieve)
    {
        var options = _pull.Services.GetRequiredService<IOptions<PacsOptions>>().Value;
        options.Nodes["orthanc"] = new PacsNode { AeTitle = OrthancServer.AeTitle, Host = "127.0.0.1", Port = _orthanc.DicomPort, Retrieve = retrieve };
        var matches = await PullFixture.FindAsync(Client(), new PacsQuery());
        var job = await _pull.RecordAsync("orthanc", retrieve, matches, maxConcurrent: 2);
        var summary = await _pull.Services.GetRequiredService<Puller>().RunAsync(job.Id, default);
        Assert.Equal((3, 0, 0), (summary.Received, summary.Failed, summary.AlreadyHere));

        var rows = await _pull.StudiesAsync(job.Id);
        Assert.All(rows, r => Assert.Equal(PullStudyState.Received, r.State));
        Assert.Equal(_studies.ToDictionary(s => s.Key, s => s.Value.Length), rows.ToDictionary(r => r.StudyInstanceUid, r => r.Retrieved));
        Assert.Equal(1, rows.Sum(r => r.Skipped));

        // Exactly the wanted instances are in the watched folder (a C-MOVE's under the PACS's calling AE, a C-GET's under the node's name), byte for byte the pixels sent.
        var folder = Path.Combine(_pull.Watch, retrieve == "move" ? OrthancServer.AeTitle : "orthanc");
        var arrived = Directory.GetFiles(folder, "*.dcm").ToDictionary(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)!);
        var sent = _studies.Values.SelectMany(v => v).ToDictionary(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.SopInstanceUid)!);
        Assert.Equal(sent.Keys.Order(StringComparer.Ordinal), arrived.Keys.Order(StringComparer.Ordinal));
        foreach (var (uid, path) in sent)
        {
            Assert.Equal(DicomPixelData.From(DicomFile.Open(path)).DecodeFrame().Values, DicomPixelData.From(DicomFile.Open(arrived[uid])).DecodeFrame().Values);
        }

        foreach (var uid in _studies.Keys)
        {
            Assert.Equal(1, await _orthanc.RetrievesAsync(uid));
        }

        var again = await _pull.RecordAsync("orthanc", retrieve, matches);
        var second = await _pull.Services.GetRequiredService<Puller>().RunAsync(again.Id, default);
        Assert.Equal((0, 3), (second.Received, second.AlreadyHere));
        Assert.All(await _pull.StudiesAsync(again.Id), r => Assert.Contains("already pulled", r.Reason, StringComparison.Ordinal));
        foreach (var uid in _studies.Keys)
        {
            Assert.Equal(1, await _orthanc.RetrievesAsync(uid));
        }
    }

    [Fact]
    public async Task A_move_destination_the_pacs_does_not_know_fails_each_study_with_a_reason_and_the_job_goes_on()
    {
        var options = _pull.Services.GetRequiredService<IOptions<PacsOptions>>().Value;
        options.Nodes["orthanc"] = new PacsNode { AeTitle = OrthancServer.AeTitle, Host = "127.0.0.1", Port = _orthanc.DicomPort, Retrieve = "move" };
        options.MoveDestination = "NOBODY";
        options.MaxAttempts = 2;
        options.RetryDelaySeconds = 0;
        var job = await _pull.RecordAsync("orthanc", "move", await PullFixture.FindAsync(Client(), new PacsQuery()));
        var summary = await _pull.Services.GetRequiredService<Puller>().RunAsync(job.Id, default);
        Assert.Equal((0, 3, 3), (summary.Received, summary.Failed, summary.Retried));
        foreach (var row in await _pull.StudiesAsync(job.Id))
        {
            Assert.Equal((PullStudyState.Failed, 2), (row.State, row.Attempts));
            Assert.Contains("'NOBODY'", row.Reason, StringComparison.Ordinal);
            Assert.Contains("attempt 2 of 2", row.Reason, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFiles(_pull.Watch, "*.dcm", SearchOption.AllDirectories));
        Assert.Equal(Data.PullJobState.Done, (await _pull.Services.CreateAsyncScope().ServiceProvider.GetRequiredService<PullJobs>().FindAsync(job.Id, default))!.State);
    }
}
