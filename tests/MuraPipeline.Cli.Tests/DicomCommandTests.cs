using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>`mura dicom dump|decode` as a user runs them, in their own process.</summary>
public sealed class DicomCommandTests : IDisposable
{
    private const string Corpus = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Stdout, string Stderr) Mura(IDictionary<string, string>? env, params string[] args) => Peers.Mura(env, null, args);

    [Fact]
    public void Decode_writes_what_pydicom_reads_and_dump_shows_the_attributes()
    {
        var npy = Path.Combine(_dir, "rle.npy");
        var file = Path.Combine(Corpus, "SC_rgb_rle_16bit_2frame.dcm");
        var (code, _, stderr) = Mura(null, "dicom", "decode", file, "--out", npy);
        Assert.True(code == 0, stderr);
        var check = Peers.Python("import sys, numpy as np, pydicom; a = np.load(sys.argv[1]); b = pydicom.dcmread(sys.argv[2]).pixel_array; print(a.dtype == b.dtype, a.shape == b.shape, bool((a == b).all()))", npy, file);
        Assert.Equal("True True True", check.Stdout.Trim());

        var frame = Path.Combine(_dir, "frame1.npy");
        Assert.Equal(0, Mura(null, "dicom", "decode", file, "--out", frame, "--frame", "1").Code);
        var one = Peers.Python("import sys, numpy as np, pydicom; a = np.load(sys.argv[1]); b = pydicom.dcmread(sys.argv[2]).pixel_array[1]; print(a.shape == b.shape, bool((a == b).all()))", frame, file);
        Assert.Equal("True True", one.Stdout.Trim());

        var dump = Mura(null, "dicom", "dump", file);
        Assert.Equal(0, dump.Code);
        Assert.Contains("(0002,0010) UI [1.2.840.10008.1.2.5]", dump.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("(7fe0,0010) OW (PixelSequence #=3)", dump.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MURA_GDCM_DIR", "MR_small_jpeg_ls_lossless.dcm", "libgdcm-cil")]
    [InlineData("MURA_OPENJPEG", "MR_small_jp2klossless.dcm", "libopenjp2-7")]
    public void Without_its_codec_a_compressed_image_fails_with_an_error_naming_the_package(string variable, string name, string package) =>
        FailsNamingThePackage(variable, Path.Combine(Corpus, name), package);

    [Fact]
    public void Without_libjpeg_turbo_an_8_bit_JPEG_fails_with_an_error_naming_the_package()
    {
        // The corpus has no 8-bit greyscale lossy JPEG: dcmtk's encoder makes one from its 8-bit greyscale image.
        var jpeg = Path.Combine(_dir, "baseline.dcm");
        Assert.Equal(0, Peers.Run("dcmcjpeg", "+eb", Path.Combine(Corpus, "image_dfl.dcm"), jpeg).ExitCode);
        FailsNamingThePackage("MURA_TURBOJPEG", jpeg, "libturbojpeg0");
        Assert.Equal(0, Mura(null, "dicom", "decode", jpeg, "--out", Path.Combine(_dir, "x.npy")).Code);
    }

    private void FailsNamingThePackage(string variable, string file, string package)
    {
        var (code, _, stderr) = Mura(new Dictionary<string, string> { [variable] = Path.Combine(_dir, "no-such-codec") }, "dicom", "decode", file, "--out", Path.Combine(_dir, "x.npy"));
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains(package, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.npy")));
    }

    [Fact]
    public void Bench_dicom_says_what_the_peer_cannot_decode_and_a_missing_file_is_an_error_not_a_stack_trace()
    {
        // dcmtk has no JPEG 2000 decoder: the bench reports ours and says so.
        var (code, stdout, stderr) = Mura(null, "bench", "dicom", "--file", Path.Combine(Corpus, "MR_small_jp2klossless.dcm"), "--iterations", "1");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("dcmtk dcmj2pnm: cannot decode this file", stdout, StringComparison.Ordinal);
        Assert.Contains("MuraPipeline: read + decode + VOI window", stdout, StringComparison.Ordinal);
        Assert.Contains("| OpenJPEG opj_decompress (code stream to PGM) (one process per image) |", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = Mura(null, "bench", "dicom", "--file", Path.Combine(_dir, "missing.dcm"), "--iterations", "1");
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("error:", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_dicom_puts_each_syntax_beside_every_peer_that_decodes_it()
    {
        // The phantom encoded by OpenJPH's own encoder: OpenJPH and OpenJPEG decode it, in full and with the finest
        // levels skipped as the derivative's decode skips them; dcmtk cannot, and the bench says so.
        var (code, stdout, stderr) = Mura(null, "bench", "dicom", "--syntax", "htj2k", "--iterations", "3");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("## High-Throughput JPEG 2000 Lossless (1.2.840.10008.1.2.4.201): 2048x2500", stdout, StringComparison.Ordinal);
        Assert.Contains("| MuraPipeline: read + decode, 2 levels skipped (what the derivative needs) |", stdout, StringComparison.Ordinal);
        Assert.Contains("| OpenJPH ojph_expand -skip_res 2 (one process per image) |", stdout, StringComparison.Ordinal);
        Assert.Contains("| OpenJPEG opj_decompress -r 2 (one process per image) |", stdout, StringComparison.Ordinal);
        Assert.Contains("| dcmtk dcmj2pnm: cannot decode this file", stdout, StringComparison.Ordinal);
        Assert.Matches(@"reduced decode: the fastest peer, .+ takes \d+\.\d\dx our time", stdout);
        Assert.Contains("## Explicit VR Little Endian", stdout, StringComparison.Ordinal); // uncompressed, for reference

        (code, stdout, stderr) = Mura(null, "bench", "dicom", "--syntax", "jpeg-ls");
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("error: --syntax: unknown jpeg-ls", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_is_refused_with_the_reason()
    {
        var (code, _, stderr) = Mura(null, "dicom", "decode", Path.Combine(Corpus, "MR_truncated.dcm"), "--out", Path.Combine(_dir, "t.npy"));
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("truncated", stderr, StringComparison.Ordinal);
    }
}
