using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;
using MuraPipeline.Imaging;
using MuraPipeline.Tests;

namespace MuraPipeline.Scheduler.Tests;

/// <summary>The export on the embedded database: layout, de-identification, manifest, increments, atomicity and the lock.</summary>
public sealed partial class ExporterTests : IAsyncLifetime
{
    private const string Key = "test-key-0123456789abcdef";
    private readonly string _dir = Peers.TempDir();
    private SqliteServices _sqlite = null!;

    private string Root => Path.Combine(_dir, "exports");

    public async Task InitializeAsync() =>
        _sqlite = await SqliteServices.StartAsync(
            new Dictionary<string, string?>
            {
                ["Export:PseudonymKey"] = Key,
                ["Export:Folder"] = Root,
                ["Export:ValidPercent"] = "30",
            },
            (services, configuration, database) => services.AddMuraDatabase(database).AddThresholdPolicy(configuration).AddExport(configuration),
            _dir);

    public async Task DisposeAsync() => await _sqlite.DisposeAsync();

    /// <summary>A scored study of <paramref name="views"/> views whose derivatives carry the patient's name in a PNG text chunk (as a careless source might).</summary>
    private async Task<Study> AddStudyAsync(int n, string patientId, string? bodyPart, int views, bool? modelCall, string? uid = null)
    {
        await using var scope = _sqlite.Provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var study = new Study
        {
            Id = Guid.NewGuid(),
            StudyInstanceUid = uid ?? $"1.2.826.0.1.{n}",
            PatientId = patientId,
            BodyPart = bodyPart,
            Source = "dicom",
            State = StudyState.Scored,
            ViewCount = views,
            ScoredViews = views,
            Score = modelCall is true ? 0.8 : 0.2,
            Abnormal = modelCall,
            ModelSha256 = new string('a', 64),
            CreatedAt = DateTimeOffset.UnixEpoch.AddMinutes(n),
            LastInstanceAt = DateTimeOffset.UnixEpoch.AddMinutes(n),
        };
        db.Studies.Add(study);
        for (var v = 0; v < views; v++)
        {
            var view = new View { Id = Guid.NewGuid(), StudyId = study.Id, SopInstanceUid = $"{study.StudyInstanceUid}.{v}", SourcePath = $"/in/{patientId}/{v}.dcm", State = ViewState.Scored, Probability = 0.5, Width = 48, Height = 40, CreatedAt = study.CreatedAt.AddSeconds(v) };
            db.Views.Add(view);
            db.ViewImages.Add(new ViewImage { ViewId = view.Id, Png = WithTextChunk(Png.Encode(Image(n * 10 + v)), "Author", NameOf(patientId)) });
        }

        await db.SaveChangesAsync();
        return study;
    }

    private static string NameOf(string patientId) => $"DOE^JANE^{patientId}";

    private async Task<VerdictsRecorded> VerdictsAsync(params VerdictInput[] verdicts)
    {
        await using var scope = _sqlite.Provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<GroundTruthStore>().AddAsync(verdicts, "test", default);
    }

    private Task<ExportResult> ExportAsync() => _sqlite.Provider.GetRequiredService<Exporter>().RunAsync("manual", null, train: false, default);

    private async Task<T> QueryAsync<T>(Func<MuraDbContext, Task<T>> query)
    {
        await using var scope = _sqlite.Provider.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<MuraDbContext>());
    }

    /// <summary>12 patients, 30 studies (some patients with several), every study labelled.</summary>
    private async Task<List<(Study Study, bool Abnormal, string Patient)>> SeedAsync()
    {
        var seeded = new List<(Study, bool, string)>();
        string[] parts = ["WRIST", "HAND", "ELBOW", "SHOULDER", "FINGER", "FOREARM", "HUMERUS"];
        for (var n = 0; n < 30; n++)
        {
            var patient = $"PAT{n % 12:D3}-SECRET";
            var study = await AddStudyAsync(n, patient, parts[n % parts.Length], 1 + (n % 3), modelCall: n % 4 == 0);
            seeded.Add((study, n % 3 == 0, patient));
        }

        await VerdictsAsync(seeded.Select(s => new VerdictInput(s.Item1.StudyInstanceUid, s.Item2, null, "dr-a", null)).ToArray());
        return seeded;
    }

    [GeneratedRegex(@"^(train|valid)/XR_(ELBOW|FINGER|FOREARM|HAND|HUMERUS|SHOULDER|WRIST)/patient(\d{16})/study(\d+)_(positive|negative)/image(\d+)\.png$")]
    private static partial Regex ImagePath();

    [Fact]
    public async Task An_export_is_de_identified_in_the_MURA_layout_split_by_patient_with_a_manifest_that_checks_every_file()
    {
        var seeded = await SeedAsync();
        var result = await ExportAsync();
        Assert.Equal(ExportRunStatus.Succeeded, result.Status);
        Assert.Equal(30, result.Studies);
        Assert.Equal(seeded.Sum(s => s.Study.ViewCount), result.Images);
        var folder = result.Folder!;
        Assert.Equal(Path.Combine(Root, "export-000001"), folder);
        Assert.Equal([folder], Directory.GetDirectories(Root));

        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        var images = files.Where(f => f.EndsWith(".png", StringComparison.Ordinal)).ToList();
        Assert.Equal(result.Images, images.Count);
        Assert.All(images, f => Assert.Matches(ImagePath(), f));
        Assert.Equal(["manifest.json", "train_image_paths.csv", "train_labeled_studies.csv", "valid_image_paths.csv", "valid_labeled_studies.csv"], files.Except(images).ToList());

        // A patient is in one split only, keeps one pseudonym, and their studies are numbered 1..k.
        var byPatient = images.Select(f => ImagePath().Match(f)).GroupBy(m => m.Groups[3].Value).ToList();
        Assert.Equal(12, byPatient.Count);
        Assert.All(byPatient, g => Assert.Single(g.Select(m => m.Groups[1].Value).Distinct()));
        Assert.All(byPatient, g => Assert.Equal(Enumerable.Range(1, g.Select(m => m.Groups[4].Value).Distinct().Count()).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), g.Select(m => m.Groups[4].Value).Distinct().Order(StringComparer.Ordinal)));
        Assert.Contains(byPatient, g => g.First().Groups[1].Value == "valid");
        Assert.Contains(byPatient, g => g.First().Groups[1].Value == "train");

        // The pseudonym is the keyed hash of the patient ID (checked with an independent HMAC), and nothing else identifies the patient.
        var expected = seeded.Select(s => s.Patient).Distinct().Select(p => (BinaryPrimitives.ReadUInt64BigEndian(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes("patient\nid:" + p))) % 10_000_000_000_000_000UL).ToString("D16", System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal);
        Assert.Equal(expected, byPatient.Select(g => g.Key).Order(StringComparer.Ordinal));
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var secret in seeded.Select(s => s.Patient).Concat(seeded.Select(s => NameOf(s.Patient))).Concat(seeded.Select(s => s.Study.StudyInstanceUid)).Append("SECRET").Append("DOE^JANE"))
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{file} contains {secret}");
                Assert.DoesNotContain(secret, file, StringComparison.Ordinal);
            }

            if (file.EndsWith(".png", StringComparison.Ordinal))
            {
                Assert.Equal(["IHDR", "IDAT", "IEND"], Chunks(bytes).Distinct());
            }
        }

        // MURA's CSVs list exactly the files and study folders, labels from the verdicts.
        foreach (var split in new[] { "train", "valid" })
        {
            var listed = File.ReadAllLines(Path.Combine(folder, $"{split}_image_paths.csv"));
            Assert.Equal(images.Where(f => f.StartsWith(split + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
            foreach (var row in File.ReadAllLines(Path.Combine(folder, $"{split}_labeled_studies.csv")))
            {
                var (path, label) = (row.Split(',')[0], row.Split(',')[1]);
                Assert.True(Directory.Exists(Path.Combine(folder, path)), path);
                Assert.Equal(path.Contains("_positive/", StringComparison.Ordinal) ? "1" : "0", label);
            }
        }

        // The manifest: a SHA-256 for every other file, counts per study type and label, the watermark, and the hard cases.
        using var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "manifest.json")));
        var m = manifest.RootElement;
        var listedFiles = m.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("sha256").GetString()!);
        Assert.Equal(files.Where(f => f != "manifest.json"), listedFiles.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, sha) in listedFiles)
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(folder, path)))), sha);
        }

        var studyFolders = images.Select(f => f[..(f.LastIndexOf('/') + 1)]).Distinct().ToList();
        foreach (var split in new[] { "train", "valid" })
        {
            foreach (var type in m.GetProperty("counts").GetProperty(split).EnumerateObject())
            {
                foreach (var label in new[] { "positive", "negative" })
                {
                    Assert.Equal(studyFolders.Count(f => f.StartsWith($"{split}/{type.Name}/", StringComparison.Ordinal) && f.EndsWith($"_{label}/", StringComparison.Ordinal)), type.Value.GetProperty(label).GetInt32());
                }
            }
        }

        Assert.Equal(30, m.GetProperty("watermark").GetProperty("to_verdict").GetInt64());
        var hard = m.GetProperty("hard_cases").EnumerateArray().ToList();
        Assert.Equal(seeded.Count(s => s.Study.Abnormal != s.Abnormal), hard.Count);
        Assert.All(hard, h => Assert.True(Directory.Exists(Path.Combine(folder, h.GetProperty("study").GetString()!))));
        Assert.Equal(seeded.Count(s => s.Study.Abnormal == true && !s.Abnormal), hard.Count(h => h.GetProperty("kind").GetString() == "false_positive"));

        // The run is in the history with its counts.
        var run = await QueryAsync(db => db.ExportRuns.SingleAsync());
        Assert.Equal((ExportRunStatus.Succeeded, 30, result.Images, 30L, folder), (run.Status, run.Studies, run.Images, run.ToWatermark!.Value, run.Folder));
    }

    [Fact]
    public async Task A_second_export_takes_only_new_or_changed_ground_truth_and_a_patient_keeps_their_pseudonym()
    {
        var seeded = await SeedAsync();
        var first = await ExportAsync();
        var firstFolders = StudyFolders(first.Folder!);

        // New: two more studies (one of a known patient); changed: one label; unchanged: a re-confirmation; unknown: a study not in the database.
        var late = await AddStudyAsync(100, "PAT001-SECRET", "WRIST", 2, modelCall: false);
        var other = await AddStudyAsync(101, "PAT900-SECRET", "HAND", 1, modelCall: false);
        var flipped = seeded[4];
        var confirmed = seeded[5];
        await VerdictsAsync(
            new VerdictInput(late.StudyInstanceUid, true, null, "dr-b", null),
            new VerdictInput(other.StudyInstanceUid, false, null, "dr-b", null),
            new VerdictInput(flipped.Study.StudyInstanceUid, !flipped.Abnormal, null, "dr-b", null),
            new VerdictInput(confirmed.Study.StudyInstanceUid, confirmed.Abnormal, null, "dr-c", null),
            new VerdictInput("9.9.9.9", true, "WRIST", "dr-b", null));
        var second = await ExportAsync();
        Assert.Equal(ExportRunStatus.Succeeded, second.Status);
        Assert.Equal(3, second.Studies);
        Assert.Equal(2, second.Skipped);
        var secondFolders = StudyFolders(second.Folder!);
        Assert.Equal(3, secondFolders.Count);

        // The flipped study keeps its patient and study number, with the new label; the known patient's new study is numbered after theirs.
        var flippedBefore = await QueryAsync(db => db.ExportedStudies.SingleAsync(e => e.StudyInstanceUid == flipped.Study.StudyInstanceUid));
        var oldPath = firstFolders.Single(f => f.Contains($"patient{flippedBefore.Patient}/study{flippedBefore.StudyNumber}_", StringComparison.Ordinal));
        var newPath = secondFolders.Single(f => f.Contains($"patient{flippedBefore.Patient}/study{flippedBefore.StudyNumber}_", StringComparison.Ordinal));
        Assert.Equal(oldPath.Replace(flipped.Abnormal ? "_positive" : "_negative", flipped.Abnormal ? "_negative" : "_positive", StringComparison.Ordinal), newPath);
        var patient1 = await QueryAsync(db => db.ExportedStudies.Where(e => e.StudyInstanceUid == seeded[1].Study.StudyInstanceUid).Select(e => e.Patient).SingleAsync());
        var patient1Studies = firstFolders.Count(f => f.Contains($"patient{patient1}/", StringComparison.Ordinal));
        Assert.Contains(secondFolders, f => f.Contains($"patient{patient1}/study{patient1Studies + 1}_positive", StringComparison.Ordinal));
        Assert.Equal(2L, await QueryAsync(db => db.ExportedStudies.Where(e => e.StudyInstanceUid == late.StudyInstanceUid).Select(e => e.LastRunId).SingleAsync()));

        // Nothing new: the run is recorded, no folder is written.
        var third = await ExportAsync();
        Assert.Equal((ExportRunStatus.Succeeded, 0, (string?)null), (third.Status, third.Studies, third.Folder));
        Assert.Equal(2, Directory.GetDirectories(Root).Length);

        // The study whose verdict came before its images is exported once they arrive, though its verdict is below the watermark.
        await AddStudyAsync(102, "PAT901-SECRET", "ELBOW", 2, modelCall: true, uid: "9.9.9.9");
        var fourth = await ExportAsync();
        Assert.Equal((ExportRunStatus.Succeeded, 1, 2), (fourth.Status, fourth.Studies, fourth.Images));
        Assert.Single(StudyFolders(fourth.Folder!), f => f.Contains("XR_WRIST/", StringComparison.Ordinal) && f.EndsWith("_positive", StringComparison.Ordinal));
        Assert.Equal(0, (await ExportAsync()).Studies);
    }

    [Fact]
    public async Task A_failed_export_leaves_nothing_behind_records_why_and_the_next_run_exports_the_same_studies()
    {
        await SeedAsync();

        // The run's target folder is already there (a restored backup, say): the run fails at the very end, after writing everything.
        Directory.CreateDirectory(Path.Combine(Root, "export-000001", "someone-elses"));
        var failed = await ExportAsync();
        Assert.Equal(ExportRunStatus.Failed, failed.Status);
        Assert.Contains("already exists", failed.Error, StringComparison.Ordinal);
        Assert.Equal(["export-000001"], Directory.GetDirectories(Root).Select(Path.GetFileName));
        Assert.Equal(["someone-elses"], Directory.GetDirectories(Path.Combine(Root, "export-000001")).Select(Path.GetFileName));
        var run = await QueryAsync(db => db.ExportRuns.SingleAsync());
        Assert.Equal(ExportRunStatus.Failed, run.Status);
        Assert.Contains("already exists", run.Error, StringComparison.Ordinal);
        Assert.NotNull(run.EndedAt);

        // The next trigger retries from the same watermark.
        var retried = await ExportAsync();
        Assert.Equal((ExportRunStatus.Succeeded, 30), (retried.Status, retried.Studies));
        Assert.Equal(Path.Combine(Root, "export-000002"), retried.Folder);
        Assert.Empty(Directory.GetDirectories(Root, ".partial-*"));
    }

    [Fact]
    public async Task An_export_that_finds_another_holding_the_lock_records_a_skipped_run_and_writes_nothing()
    {
        await SeedAsync();
        await using (var held = await ExportLock.TryAcquireAsync(_sqlite.Provider.GetRequiredService<DatabaseTarget>(), default))
        {
            Assert.NotNull(held);
            var skipped = await ExportAsync();
            Assert.Equal(ExportRunStatus.Skipped, skipped.Status);
            Assert.False(Directory.Exists(Root) && Directory.EnumerateFileSystemEntries(Root).Any());
        }

        Assert.Equal(ExportRunStatus.Succeeded, (await ExportAsync()).Status);
        Assert.Equal([ExportRunStatus.Skipped, ExportRunStatus.Succeeded], await QueryAsync(db => db.ExportRuns.OrderBy(r => r.Id).Select(r => r.Status).ToListAsync()));
    }

    [Fact]
    public async Task The_latest_verdict_wins_every_verdict_is_kept_and_a_replayed_import_records_nothing_twice()
    {
        var study = await AddStudyAsync(1, "PAT1-SECRET", "WRIST", 1, modelCall: null);
        var at = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
        var first = await VerdictsAsync(new VerdictInput(study.StudyInstanceUid, true, null, "dr-a", at), new VerdictInput("7.7.7", false, null, "dr-a", at));
        Assert.Equal((2, 0, 1), (first.Recorded, first.Duplicates, first.UnknownStudies));
        var replay = await VerdictsAsync(new VerdictInput(study.StudyInstanceUid, true, null, "dr-a", at));
        Assert.Equal((0, 1), (replay.Recorded, replay.Duplicates));
        await VerdictsAsync(new VerdictInput(study.StudyInstanceUid, false, "HAND", "dr-b", at.AddHours(1)));

        await using var scope = _sqlite.Provider.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<GroundTruthStore>();
        var history = await store.HistoryAsync(study.StudyInstanceUid, default);
        Assert.Equal([true, false], history.Select(v => v.Abnormal));
        var latest = (await store.LatestAsync(null, default))[study.StudyInstanceUid];
        Assert.Equal((false, "HAND", "dr-b"), (latest.Abnormal, latest.BodyPart, latest.ReaderId));
    }

    [Fact]
    public void Pseudonyms_depend_on_the_key_are_stable_and_split_patients_in_the_configured_proportion()
    {
        var a = new Pseudonyms(Key);
        var b = new Pseudonyms(Key + "x");
        Assert.Equal(a.Patient("id:P1"), new Pseudonyms(Key).Patient("id:P1"));
        Assert.NotEqual(a.Patient("id:P1"), b.Patient("id:P1"));
        Assert.NotEqual(a.Patient("id:P1"), a.Patient("id:P2"));
        Assert.Matches("^[0-9]{16}$", a.Patient("id:P1"));
        var valid = Enumerable.Range(0, 4000).Count(i => a.Split($"id:P{i}", 10) == "valid");
        Assert.InRange(valid, 320, 480);
        Assert.Equal(Pseudonyms.PatientKey(null, "1.2.3"), Pseudonyms.PatientKey("  ", "1.2.3"));
        Assert.Throws<InvalidOperationException>(() => new ExportOptions { PseudonymKey = "short" }.RequireKey());
    }

    private static List<string> StudyFolders(string folder) =>
        Directory.EnumerateDirectories(folder, "study*", SearchOption.AllDirectories).Select(d => Path.GetRelativePath(folder, d).Replace('\\', '/')).ToList();

    private static GrayImage Image(int seed)
    {
        var px = new byte[48 * 40];
        new Random(seed).NextBytes(px);
        return new GrayImage(48, 40, px);
    }

    private static IEnumerable<string> Chunks(byte[] png)
    {
        for (var at = 8; at + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            yield return Encoding.ASCII.GetString(png, at + 4, 4);
            at += 12 + length;
        }
    }

    /// <summary>Inserts a tEXt chunk after IHDR (CRC-32 as PNG defines it).</summary>
    private static byte[] WithTextChunk(byte[] png, string keyword, string text)
    {
        var data = Encoding.Latin1.GetBytes(keyword + "\0" + text);
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes("tEXt").CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        const int afterIhdr = 8 + 25;
        return [.. png.AsSpan(0, afterIhdr), .. chunk, .. png.AsSpan(afterIhdr)];
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
