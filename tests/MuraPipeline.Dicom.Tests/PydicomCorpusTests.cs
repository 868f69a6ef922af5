using MuraPipeline.Tests;
using Xunit.Abstractions;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// Every image in Debian's python3-pydicom test data that pydicom decodes is decoded here too and compared with
/// pydicom's pixel_array: dtype, shape and every value. The files we refuse are listed with the reason.
/// </summary>
public sealed class PydicomCorpusTests(ITestOutputHelper output) : IDisposable
{
    public const string Corpus = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

    /// <summary>Files pydicom decodes that we refuse, and why (a substring of our reason).</summary>
    private static readonly Dictionary<string, string> KnownRefusals = new(StringComparer.Ordinal)
    {
        // Its J2K code stream has a bad SIZ marker (4292730882 tiles); OpenJPEG rejects it, pydicom falls back to Pillow.
        ["JPEG2000-embedded-sequence-delimiter.dcm"] = "OpenJPEG could not read the JPEG 2000 header",
    };

    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_image_pydicom_decodes_matches_pixel_for_pixel_or_is_a_listed_refusal()
    {
        var manifest = new List<string>();
        foreach (var path in Directory.GetFiles(Corpus, "*.dcm").Order(StringComparer.Ordinal))
        {
            var npy = Path.Combine(_dir, Path.GetFileNameWithoutExtension(path) + ".npy");
            try
            {
                var file = DicomFile.Open(path);
                if (!file.Dataset.Contains(DicomTag.PixelData))
                {
                    continue;
                }

                using (var fs = File.Create(npy))
                {
                    NumpyExport.Write(fs, file, frame: null);
                }

                manifest.Add($"{path}\t{npy}\t");
            }
            catch (DicomException ex)
            {
                File.Delete(npy);
                manifest.Add($"{path}\t\t{ex.Message.ReplaceLineEndings(" ")}");
            }
        }

        var manifestPath = Path.Combine(_dir, "manifest.tsv");
        File.WriteAllLines(manifestPath, manifest);
        var results = Peers.ComparePixels(manifestPath);

        var matched = 0;
        var problems = new List<string>();
        foreach (var r in results)
        {
            var name = Path.GetFileName(r.File);
            output.WriteLine($"{name,-45} pydicom: {Short(r.Pydicom)}; ours: {Short(r.Ours)}{(r.Match ? "; identical" : string.Empty)} {r.Detail}");
            if (r.Pydicom != "ok")
            {
                continue;
            }

            if (r.Match)
            {
                matched++;
            }
            else if (r.Ours.StartsWith("refused", StringComparison.Ordinal) && KnownRefusals.TryGetValue(name, out var why) && r.Ours.Contains(why, StringComparison.Ordinal))
            {
                output.WriteLine($"  listed refusal: {name}: {r.Ours}");
            }
            else
            {
                problems.Add($"{name}: ours {r.Ours} {r.Detail}");
            }
        }

        Assert.True(problems.Count == 0, "differences from pydicom:\n" + string.Join('\n', problems));
        // The corpus has ~50 images in every transfer syntax; a handful would mean the walk went wrong.
        Assert.True(matched >= 45, $"only {matched} images matched");
    }

    [Fact]
    public void Dump_lists_the_same_top_level_attributes_as_dcmdump()
    {
        var checkedFiles = 0;
        foreach (var path in Directory.GetFiles(Corpus, "*.dcm").Order(StringComparer.Ordinal))
        {
            DicomFile file;
            try
            {
                file = DicomFile.Open(path);
            }
            catch (DicomException)
            {
                continue;
            }

            var (code, stdout, _) = Peers.Run("dcmdump", "-q", "+E", path);
            if (code != 0)
            {
                continue;
            }

            var ours = TopLevelTags(DicomDump.Format(file));
            var theirs = TopLevelTags(stdout);
            Assert.True(theirs.SetEquals(ours), $"{Path.GetFileName(path)}: only dcmdump: {string.Join(' ', theirs.Except(ours))}; only ours: {string.Join(' ', ours.Except(theirs))}");
            checkedFiles++;
        }

        output.WriteLine($"{checkedFiles} files agree with dcmdump");
        Assert.True(checkedFiles >= 50, $"only {checkedFiles} files were compared");
    }

    private static HashSet<string> TopLevelTags(string dump) =>
        dump.Split('\n').Where(l => l.StartsWith('(') && !l.StartsWith("(fffe", StringComparison.OrdinalIgnoreCase)).Select(l => l[..11].ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

    private static string Short(string s) => s.Length > 90 ? s[..90] + "…" : s;

}
