using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// 8-bit lossy JPEG through libjpeg-turbo, against files made by dcmtk's own encoder (dcmcjpeg): in full it decodes to
/// exactly what dcmtk's decoder (dcmdjpeg) gives; for the derivative its IDCT scales the decode down to no less than
/// the derivative's long side, and the derivative stays within a grey level of the full decode's.
/// </summary>
public sealed class JpegBaselineTests() : PhantomScratch(seed: 43, minSide: 2100, maxSide: 2300)
{
    /// <summary>The phantom at 8 bits (its 12-bit values' top eight, the window scaled alike), uncompressed, and dcmcjpeg's baseline JPEG of it.</summary>
    private (string Raw, string Jpeg) Files()
    {
        var view = Study.Views[0];
        var ds = PhantomWriter.ToDataset(Study, view);
        var values = view.Frame.Values;
        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bytes[i] = (byte)(values[i] >> 4);
        }

        ds.AddUInt16(DicomTag.BitsAllocated, 8).AddUInt16(DicomTag.BitsStored, 8).AddUInt16(DicomTag.HighBit, 7);
        ds.AddString(DicomTag.WindowCenter, "DS", "128").AddString(DicomTag.WindowWidth, "DS", "256");
        ds.AddBytes(DicomTag.PixelData, "OB", bytes);
        var raw = Path.Combine(Dir, "raw8.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(raw);
        var jpeg = Path.Combine(Dir, "baseline.dcm");
        var (code, stdout, stderr) = Peers.Run("dcmcjpeg", "+eb", raw, jpeg);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(DicomUids.JpegBaseline, DicomFile.Open(jpeg).TransferSyntaxUid);
        return (raw, jpeg);
    }

    [Fact]
    public void A_baseline_JPEG_decodes_to_what_dcmtks_decoder_gives()
    {
        var (_, jpeg) = Files();
        var decoded = Path.Combine(Dir, "dcmdjpeg.dcm");
        var (code, stdout, stderr) = Peers.Run("dcmdjpeg", jpeg, decoded);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(DicomPixelData.From(DicomFile.Open(decoded)).DecodeFrame().Values, DicomPixelData.From(DicomFile.Open(jpeg)).DecodeFrame().Values);
    }

    [Fact]
    public void The_IDCT_scales_the_decode_to_the_derivatives_side_and_the_derivative_stays_within_a_grey_level()
    {
        var (raw, jpeg) = Files();
        var file = DicomFile.Open(jpeg);
        var pixels = DicomPixelData.From(file);

        // 2,100-2,300 pixels a side: a quarter (the IDCT at 2 samples a block side) still leaves 512.
        var scaled = pixels.DecodeFrame(0, PixelPipeline.DefaultMaxSide);
        Assert.Equal(((pixels.Columns + 3) / 4, (pixels.Rows + 3) / 4), (scaled.Width, scaled.Height));
        Assert.True(Math.Max(scaled.Width, scaled.Height) >= PixelPipeline.DefaultMaxSide);

        // The derivative from the scaled decode against the one from dcmdjpeg's full decode: the lossy file's own pixels.
        var full = Path.Combine(Dir, "full.dcm");
        Assert.Equal(0, Peers.Run("dcmdjpeg", jpeg, full).ExitCode);
        var expected = PixelPipeline.Derive(DicomFile.Open(full));
        var derived = PixelPipeline.Derive(file);
        Assert.Equal(PixelPipeline.Fit(pixels.Columns, pixels.Rows, PixelPipeline.DefaultMaxSide), (derived.Width, derived.Height));
        Assert.Equal((expected.Width, expected.Height), (derived.Width, derived.Height));
        var mad = expected.Pixels.Zip(derived.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(mad <= 1.0, $"mean absolute difference {mad:0.000} grey levels");
        Assert.True(mad > 0, "the scaled decode is a different computation; an exact match would mean it was not used");

        // The uncompressed 8-bit file decodes in full whatever side is asked.
        var uncompressed = DicomPixelData.From(DicomFile.Open(raw)).DecodeFrame(0, PixelPipeline.DefaultMaxSide);
        Assert.Equal((pixels.Columns, pixels.Rows), (uncompressed.Width, uncompressed.Height));
    }

    [Fact]
    public void A_12_bit_extended_JPEG_is_not_scaled_and_decodes_as_dcmtk_decodes_it()
    {
        // libjpeg-turbo's TurboJPEG here reads 8-bit JPEG only; 12-bit goes through GDCM, in full.
        var ds = PhantomWriter.ToDataset(Study, Study.Views[0]);
        var raw = Path.Combine(Dir, "raw12.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(raw);
        var jpeg = Path.Combine(Dir, "extended.dcm");
        Assert.Equal(0, Peers.Run("dcmcjpeg", "+ee", raw, jpeg).ExitCode);
        var decoded = Path.Combine(Dir, "extended-dcmdjpeg.dcm");
        Assert.Equal(0, Peers.Run("dcmdjpeg", jpeg, decoded).ExitCode);
        var pixels = DicomPixelData.From(DicomFile.Open(jpeg));
        var frame = pixels.DecodeFrame(0, PixelPipeline.DefaultMaxSide);
        Assert.Equal((pixels.Columns, pixels.Rows), (frame.Width, frame.Height));
        Assert.Equal(DicomPixelData.From(DicomFile.Open(decoded)).DecodeFrame().Values, frame.Values);
    }
}
