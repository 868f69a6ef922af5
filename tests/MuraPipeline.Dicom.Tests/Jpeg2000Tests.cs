using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MuraPipeline.Dicom.Codecs;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// JPEG 2000 and HTJ2K through OpenJPEG, against code streams made by OpenJPEG's and OpenJPH's own encoders
/// (opj_compress, ojph_compress) from a 12-bit phantom DX: lossless decodes give the stored values back; a reduced
/// decode is what opj_decompress -r gives, and its derivative is within a grey level of the full decode's.
/// </summary>
public sealed class Jpeg2000Tests() : PhantomScratch(seed: 41, minSide: 2100, maxSide: 2300)
{
    private PhantomView View => Study.Views[0];

    /// <summary>The view's stored values as a 16-bit PGM (big-endian, maxval 4095: 12 bits, or as given), the encoders' input.</summary>
    private string Pgm(int maxval = 4095)
    {
        var f = View.Frame;
        var path = Path.Combine(Dir, "view.pgm");
        using var stream = File.Create(path);
        stream.Write(Encoding.ASCII.GetBytes($"P5\n{f.Width} {f.Height}\n{maxval}\n"));
        var data = new byte[f.Values.Length * 2];
        for (var i = 0; i < f.Values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i * 2), (ushort)f.Values[i]);
        }

        stream.Write(data);
        return path;
    }

    /// <summary>A code stream made by a peer's encoder, wrapped as the phantom's DICOM file in <paramref name="syntax"/>.</summary>
    private string Encode(string encoder, string syntax, int maxval = 4095)
    {
        var stream = Path.Combine(Dir, encoder + ".j2c");
        var (code, stdout, stderr) = encoder == "ojph_compress"
            ? Peers.Run("ojph_compress", "-i", Pgm(maxval), "-o", stream, "-reversible", "true", "-num_decomps", "5")
            : Peers.Run("opj_compress", "-i", Pgm(maxval), "-o", stream, "-n", "6");
        Assert.True(code == 0, $"{encoder}: {stdout}{stderr}");
        var ds = PhantomWriter.ToDataset(Study, View);
        ds.Set(new DicomElement(DicomTag.PixelData, "OB", ReadOnlyMemory<byte>.Empty) { Fragments = [ReadOnlyMemory<byte>.Empty, Even(File.ReadAllBytes(stream))] });
        var path = Path.Combine(Dir, encoder + ".dcm");
        new DicomFile(DicomWriter.CreateMeta(ds, syntax), ds).Save(path);
        return path;
    }

    private static byte[] Even(byte[] b) => b.Length % 2 == 0 ? b : [.. b, 0];

    [Theory]
    [InlineData("opj_compress", DicomUids.Jpeg2000Lossless)]
    [InlineData("ojph_compress", DicomUids.Htj2kLossless)]
    [InlineData("ojph_compress", DicomUids.Htj2kLosslessRpcl)]
    [InlineData("ojph_compress", DicomUids.Htj2k)]
    public void A_lossless_code_stream_from_a_peer_decodes_to_the_stored_values(string encoder, string syntax)
    {
        var file = DicomFile.Open(Encode(encoder, syntax));
        Assert.Equal(syntax, file.TransferSyntaxUid);
        Assert.Equal(View.Frame.Values, DicomPixelData.From(file).DecodeFrame().Values);
        var words = DicomPixelData.From(file).DecodeWords(0)!;
        Assert.Equal((View.Frame.Width, View.Frame.Height), (words.Width, words.Height));
    }

    [Theory]
    [InlineData("opj_compress", DicomUids.Jpeg2000Lossless, 4095)]
    [InlineData("ojph_compress", DicomUids.Htj2kLossless, 4095)]
    [InlineData("opj_compress", DicomUids.Jpeg2000Lossless, 65535)] // a 16-bit code stream for 12 stored bits, as gdcmconv writes
    public void Only_the_resolution_the_derivative_needs_is_decoded_and_it_matches_the_full_decode(string encoder, string syntax, int maxval)
    {
        var path = Encode(encoder, syntax, maxval);
        var file = DicomFile.Open(path);
        var pixels = DicomPixelData.From(file);

        // The long side is 2100-2300, so two halvings still leave the derivative's 512: two levels are skipped.
        var reduced = pixels.DecodeWords(0, PixelPipeline.DefaultMaxSide)!;
        Assert.Equal(((pixels.Columns + 3) / 4, (pixels.Rows + 3) / 4), (reduced.Width, reduced.Height));

        var stream = Path.Combine(Dir, encoder + ".j2c");
        var pgm = Path.Combine(Dir, encoder + "-r2.pgm");
        var (code, stdout, stderr) = Peers.Run("opj_decompress", "-i", stream, "-o", pgm, "-r", "2");
        Assert.True(code == 0, stdout + stderr);
        // The reduced samples are OpenJPEG's own tool's at -r 2, held to the 12 stored bits (the tool holds them to
        // the code stream's precision only; the band overshoots at the phantom's bright edges).
        Assert.Equal(ReadPgm(pgm).Select(v => Math.Min(v, 4095)), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(reduced.Words.Span).ToArray().Select(v => (int)v));

        // They are the 5/3 low band our own transform takes from the full decode, two levels and one.
        var fullWords = pixels.DecodeWords(0)!;
        using (var one = Wavelet53.Reduce(fullWords, 1))
        using (var two = Wavelet53.Reduce(fullWords, 2))
        {
            Assert.Equal(reduced.Words.ToArray(), two.Frame.Words.ToArray());
            Assert.Equal(pixels.DecodeWords(0, 2 * PixelPipeline.DefaultMaxSide)!.Words.ToArray(), one.Frame.Words.ToArray());
        }

        // So the derivative is the uncompressed file's, to the last grey level, and its size is the full image's.
        var raw = Path.Combine(Dir, "raw.dcm");
        var ds = PhantomWriter.ToDataset(Study, View);
        new DicomFile(DicomWriter.CreateMeta(ds, DicomUids.ExplicitVrLittleEndian), ds).Save(raw);
        var expected = PixelPipeline.Derive(DicomFile.Open(raw));
        var derived = PixelPipeline.Derive(file);
        Assert.Equal((expected.Width, expected.Height), (derived.Width, derived.Height));
        Assert.Equal(PixelPipeline.Fit(pixels.Columns, pixels.Rows, PixelPipeline.DefaultMaxSide), (derived.Width, derived.Height));
        Assert.Equal(expected.Pixels, derived.Pixels);
    }

    [Theory]
    [InlineData(37, 23, 1)]
    [InlineData(37, 23, 3)]
    [InlineData(64, 9, 2)]
    [InlineData(48, 16, 2)]
    [InlineData(101, 66, 2)]
    [InlineData(3, 7, 1)]
    [InlineData(2, 2, 1)]
    public void The_low_band_is_what_OpenJPEG_decodes_at_a_reduced_resolution(int width, int height, int levels)
    {
        // Odd and even sides, a side of one and two, several levels: the ends' mirroring and the rounding are each tried.
        var rng = new Random(width * 100 + height);
        var values = Enumerable.Range(0, width * height).Select(_ => rng.Next(4096)).ToArray();
        var pgm = Path.Combine(Dir, "small.pgm");
        using (var output = File.Create(pgm))
        {
            output.Write(Encoding.ASCII.GetBytes($"P5\n{width} {height}\n4095\n"));
            foreach (var v in values)
            {
                output.Write([(byte)(v >> 8), (byte)v]);
            }
        }

        var stream = Path.Combine(Dir, "small.j2k");
        var (code, stdout, stderr) = Peers.Run("opj_compress", "-i", pgm, "-o", stream, "-n", (levels + 1).ToString(CultureInfo.InvariantCulture));
        Assert.True(code == 0, stdout + stderr);
        var reducedPgm = Path.Combine(Dir, "small-r.pgm");
        (code, stdout, stderr) = Peers.Run("opj_decompress", "-i", stream, "-o", reducedPgm, "-r", levels.ToString(CultureInfo.InvariantCulture));
        Assert.True(code == 0, stdout + stderr);

        var words = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(words.AsSpan(i * 2), (ushort)values[i]);
        }

        using var band = Wavelet53.Reduce(new WordFrame(width, height, words, 12, 11, false), levels);
        var ours = band.Frame;
        var theirs = ReadPgm(reducedPgm);
        Assert.Equal(theirs.Length, ours.Width * ours.Height);
        Assert.Equal(theirs, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(ours.Words.Span).ToArray().Select(v => (int)v).ToArray());
    }

    [Fact]
    public void Reductions_stop_at_the_derivative_size_and_at_the_code_stream_levels()
    {
        Assert.Equal(0, OpenJpegCodec.ReductionFor(1000, 800, 512, levels: 5));
        Assert.Equal(1, OpenJpegCodec.ReductionFor(1024, 800, 512, levels: 5));
        Assert.Equal(2, OpenJpegCodec.ReductionFor(3000, 2500, 512, levels: 5));
        Assert.Equal(1, OpenJpegCodec.ReductionFor(3000, 2500, 512, levels: 1));
        Assert.Equal(0, OpenJpegCodec.ReductionFor(3000, 2500, 512, levels: 0));
        Assert.Equal(2, OpenJpegCodec.ReductionFor(2047, 10, 512, levels: 9));
    }

    [Fact]
    public async Task The_receiver_takes_HTJ2K_and_stores_it_as_sent()
    {
        var path = Encode("ojph_compress", DicomUids.Htj2kLossless);
        var inbox = Path.Combine(Dir, "inbox");
        await using var scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA" }, inbox, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        scp.Start();
        await new DicomClient("127.0.0.1", scp.Port, "MURA-TEST", "MURA").StoreAsync([path], default);
        var stored = Assert.Single(Directory.GetFiles(inbox, "*.dcm", SearchOption.AllDirectories));
        var file = DicomFile.Open(stored);
        Assert.Equal(DicomUids.Htj2kLossless, file.TransferSyntaxUid);
        Assert.Equal(View.Frame.Values, DicomPixelData.From(file).DecodeFrame().Values);
    }

    /// <summary>A binary PGM's samples (comments skipped; 16-bit big-endian when maxval is over 255).</summary>
    private static int[] ReadPgm(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var fields = new List<int>();
        var at = 2;
        while (fields.Count < 3)
        {
            if (bytes[at] == '#')
            {
                while (bytes[at] != '\n')
                {
                    at++;
                }
            }
            else if (char.IsAsciiDigit((char)bytes[at]))
            {
                var start = at;
                while (char.IsAsciiDigit((char)bytes[at]))
                {
                    at++;
                }

                fields.Add(int.Parse(Encoding.ASCII.GetString(bytes, start, at - start), CultureInfo.InvariantCulture));
                continue;
            }

            at++;
        }

        at++; // the one whitespace byte after maxval
        var (w, h, max) = (fields[0], fields[1], fields[2]);
        var values = new int[w * h];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = max > 255 ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at + (i * 2))) : bytes[at + i];
        }

        return values;
    }
}
