using System.Globalization;
using MuraPipeline.Dicom;
using MuraPipeline.Tests;

namespace MuraPipeline.IntegrationTests;

/// <summary>The C-STORE receiver in the ingest role of the distributed mode, fed by dcmtk's storescu.</summary>
public sealed partial class DistributedTests
{
    /// <summary>How each fifth of the instances is transcoded, and the storescu option that proposes its syntax.</summary>
    private static readonly (string Syntax, string? Program, string[] Options, string Propose)[] Mix =
    [
        (DicomUids.ExplicitVrLittleEndian, null, [], "-xe"),
        (DicomUids.ImplicitVrLittleEndian, "dcmconv", ["+ti"], "-xi"),
        (DicomUids.JpegLosslessSv1, "dcmcjpeg", ["+e1"], "-xs"),
        (DicomUids.RleLossless, "dcmcrle", ["+un"], "-xr"),
        (DicomUids.Jpeg2000Lossless, "gdcmconv", ["--j2k", "--lossless"], "-xv"),
    ];

    [Fact]
    public async Task Hundred_studies_sent_by_storescu_in_mixed_transfer_syntaxes_are_all_scored_and_decode_as_pydicom_does()
    {
        var views = Stage(100, seed: 401);
        var files = Directory.GetFiles(Staging, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var groups = Mix.Select((m, i) => Path.Combine(_c.Dir, "send", i.ToString(CultureInfo.InvariantCulture))).ToArray();
        foreach (var g in groups)
        {
            Directory.CreateDirectory(g);
        }

        for (var i = 0; i < files.Count; i++)
        {
            var (_, program, options, _) = Mix[i % Mix.Length];
            var target = Path.Combine(groups[i % Mix.Length], $"{i:D4}.dcm");
            if (program is null)
            {
                File.Copy(files[i], target);
                continue;
            }

            var r = Peers.Run(program, [.. options, files[i], target]);
            Assert.True(r.ExitCode == 0, $"{program}: {r.Stderr}");
        }

        var port = Peers.FreePort().ToString(CultureInfo.InvariantCulture);
        _c.Serve("ingest", "ingest", new Dictionary<string, string> { ["Scp__Port"] = port, ["Scp__AeTitle"] = "MURA", ["Scp__AllowedCallingAeTitles"] = "MODALITY" });
        _c.Serve("inference", "inference");
        await _c.WaitUntilAsync(() => Task.FromResult(Peers.Run("echoscu", "-aet", "MODALITY", "-aec", "MURA", "127.0.0.1", port).ExitCode == 0), TimeSpan.FromMinutes(2), "the receiver to answer C-ECHO");

        for (var g = 0; g < groups.Length; g++)
        {
            var store = Peers.Run("storescu", "-aet", "MODALITY", "-aec", "MURA", Mix[g].Propose, "+sd", "127.0.0.1", port, groups[g]);
            Assert.True(store.ExitCode == 0, $"storescu {Mix[g].Propose}: {store.Stderr}");
        }

        await WaitAllScoredAsync(100, views);
        await _c.AssertScoredExactlyOnceAsync(100, views);

        // Every instance was kept as received: its syntax is the one it was sent in.
        var archived = Directory.GetFiles(_c.Watch + ".archive", "*.dcm", SearchOption.AllDirectories);
        Assert.Equal(views, archived.Length);
        var bySyntax = archived.GroupBy(f => DicomFile.OpenHeader(f).TransferSyntaxUid).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.All(Mix, m => Assert.True(bySyntax.GetValueOrDefault(m.Syntax) >= views / Mix.Length, $"{DicomUids.Describe(m.Syntax)}: {bySyntax.GetValueOrDefault(m.Syntax)}"));

        // Pixel-exact agreement with pydicom over everything received.
        var npyDir = Directory.CreateDirectory(Path.Combine(_c.Dir, "npy")).FullName;
        var manifest = archived.Select((f, i) =>
        {
            var npy = Path.Combine(npyDir, $"{i}.npy");
            using (var s = File.Create(npy))
            {
                NumpyExport.Write(s, DicomFile.Open(f), frame: null);
            }

            return $"{f}\t{npy}\t";
        });
        var manifestPath = Path.Combine(_c.Dir, "manifest.tsv");
        await File.WriteAllLinesAsync(manifestPath, manifest);
        var results = Peers.ComparePixels(manifestPath);
        Assert.Equal(views, results.Count);
        var mismatches = results.Where(r => !r.Match).Select(r => r.ToString()).ToList();
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
        output.WriteLine($"{views} instances in {bySyntax.Count} transfer syntaxes, all scored, all identical to pydicom's pixel_array");
    }
}
