using MuraPipeline.Benchmarks;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>
/// The phantoms `mura bench pipeline --syntax` screens, made by the peers' own encoders (dcmcjpeg, gdcmconv,
/// ojph_compress): each file says the syntax asked for, decodes to the same stored values (all three are lossless), and
/// its derivative, decoded only as finely as it needs, is within a grey level of the uncompressed file's.
/// </summary>
public sealed class SyntaxBenchTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Each_peer_encoded_syntax_decodes_to_the_same_pixels_and_nearly_the_same_derivative()
    {
        var raw = Path.Combine(_dir, "phantoms");
        PhantomWriter.WriteAll(new PhantomGenerator(77, minSide: 1100, maxSide: 1400), 2, raw, PhantomFormat.Dicom);
        var files = Directory.GetFiles(raw, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        foreach (var (name, uid, _) in SyntaxTranscoder.Known.Where(k => k.Name != "raw"))
        {
            var dir = SyntaxTranscoder.Transcoded(raw, name, parallelism: 2);
            Assert.True(File.Exists(Path.Combine(dir, ".complete")), name);
            Assert.Equal(dir, SyntaxTranscoder.Transcoded(raw, name, parallelism: 2)); // made once, then reused
            foreach (var file in files)
            {
                var other = Path.Combine(dir, Path.GetRelativePath(raw, file));
                var original = DicomFile.Open(file);
                var encoded = DicomFile.Open(other);
                Assert.Equal(uid, encoded.TransferSyntaxUid);
                Assert.Equal(DicomPixelData.From(original).DecodeFrame().Values, DicomPixelData.From(encoded).DecodeFrame().Values);

                var a = PixelPipeline.Derive(original);
                var b = PixelPipeline.Derive(encoded);
                Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
                var mad = a.Pixels.Zip(b.Pixels, (x, y) => Math.Abs(x - y)).Average();
                Assert.True(mad <= 1.0, $"{name} {Path.GetFileName(file)}: mean absolute difference {mad:0.000} grey levels");
            }
        }
    }

    [Fact]
    public void The_peer_script_shipped_beside_mura_runs_the_training_codes_own_module()
    {
        // The bench's peer is what a user who trained the model would run: train.py's module for the file's architecture.
        var raw = Path.Combine(_dir, "peer");
        PhantomWriter.WriteAll(new PhantomGenerator(78, minSide: 600, maxSide: 800), 2, raw, PhantomFormat.Dicom);
        var list = Path.Combine(_dir, "files.txt");
        var files = Directory.GetFiles(raw, "*.dcm", SearchOption.AllDirectories);
        File.WriteAllLines(list, files);
        var script = Path.Combine(AppContext.BaseDirectory, "peers", "bench_peer.py");
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "peers", "train.py")), "train.py ships beside the peer script");
        var model = Inference.InferenceOptions.BundledModelPath;
        foreach (var network in new[] { "module", "graph" })
        {
            var (code, stdout, stderr) = Peers.Run("/usr/bin/python3", script, list, model, "--threads", "1", "--network", network);
            Assert.True(code == 0, stderr);
            using var json = System.Text.Json.JsonDocument.Parse(stdout);
            Assert.Equal(network, json.RootElement.GetProperty("network").GetString());
            var p = json.RootElement.GetProperty("probabilities").EnumerateObject().Select(o => o.Value.GetDouble()).ToList();
            Assert.Equal(files.Length, p.Count);
            Assert.All(p, v => Assert.InRange(v, 0, 1));
        }
    }

    [Fact]
    public void An_unknown_syntax_is_an_error_that_names_the_known_ones()
    {
        var (code, stdout, stderr) = Peers.Mura(null, null, "bench", "pipeline", "--syntax", "raw,jpeg-ls");
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("unknown jpeg-ls; known: raw, jpeg-lossless, j2k, htj2k", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }
}
