using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging.Tests;

/// <summary>
/// A 16-bit image is derived straight from its pixel data's words (vector loads, table gathers); the result must be
/// byte for byte what the same pipeline gives on the decoded stored values, for every layout the words can have.
/// </summary>
public sealed class WordFrameTests
{
    public static TheoryData<int, int, int, bool, bool, bool> Layouts() => new()
    {
        // bitsStored, highBit, width, signed, window, invert
        { 12, 11, 1037, false, true, false },
        { 12, 11, 1037, true, true, false },
        { 12, 15, 613, false, true, true },
        { 16, 15, 700, false, false, false },
        { 16, 15, 701, true, false, true },
        { 10, 11, 523, true, false, false },
        { 8, 7, 517, false, true, false },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Words_give_the_same_derivative_as_decoded_stored_values(int bitsStored, int highBit, int width, bool signed, bool window, bool invert)
    {
        var height = 811;
        var rng = new Random(bitsStored + width);
        var bytes = new byte[width * height * 2];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                // A gradient with noise, every bit of the word set at random (garbage outside Bits Stored included).
                var word = (ushort)rng.Next(65536);
                var value = ((x * 37) + (y * 11) + rng.Next(64)) & ((1 << bitsStored) - 1);
                var shift = highBit + 1 - bitsStored;
                var keep = ((1 << bitsStored) - 1) << shift;
                word = (ushort)((word & ~keep) | (value << shift));
                bytes[((y * width) + x) * 2] = (byte)word;
                bytes[(((y * width) + x) * 2) + 1] = (byte)(word >> 8);
            }
        }

        var file = File(width, height, bitsStored, highBit, signed, bytes);
        var pixels = DicomPixelData.From(file);
        var words = pixels.DecodeWords();
        Assert.NotNull(words);
        var range = 1 << bitsStored;
        var t = new GrayscaleTransform(1.5, -20, window ? range * 0.3 : null, window ? range * 0.4 : null, invert);

        var fromWords = PixelPipeline.Derive(words, t);
        var fromValues = PixelPipeline.Derive(pixels.DecodeFrame(), t);
        Assert.Equal((fromValues.Width, fromValues.Height), (fromWords.Width, fromWords.Height));
        Assert.Equal(fromValues.Pixels, fromWords.Pixels);
        Assert.Equal(PixelPipeline.Derive(pixels.DecodeFrame(), t, int.MaxValue).Pixels, PixelPipeline.Derive(words, t, int.MaxValue).Pixels);

        // And both are the definition, computed a pixel at a time (the vector paths, the rows two output rows share and
        // the eight columns summed side by side change how, never what).
        Assert.Equal(Reference(pixels.DecodeFrame(), t, window, fromWords.Width, fromWords.Height), fromWords.Pixels);
    }

    /// <summary>
    /// The derivative by its definition: each stored value through the display table (in float), summed down into its
    /// output row's columns row by row with the row's area weight, then across with the column weights, in double and
    /// in that order, divided by the row weights' total and rounded.
    /// </summary>
    private static byte[] Reference(StoredFrame frame, GrayscaleTransform t, bool window, int ow, int oh)
    {
        var (iw, ih) = (frame.Width, frame.Height);
        double lo, hi;
        if (window)
        {
            var ww = Math.Max(t.WindowWidth!.Value - 1, 1e-6);
            (lo, hi) = (t.WindowCenter!.Value - 0.5 - (ww / 2), t.WindowCenter!.Value - 0.5 + (ww / 2));
        }
        else
        {
            (lo, hi) = PixelPipeline.PercentileRange(frame.Values, t);
        }

        float Display(int v)
        {
            var m = (v * t.RescaleSlope) + t.RescaleIntercept;
            var y = m <= lo ? 0 : m > hi ? 255 : (m - lo) / (hi - lo) * 255.0;
            return (float)(t.Invert ? 255.0 - y : y);
        }

        var across = Resampler.AreaWeights(iw, ow);
        var sy = (double)ih / oh;
        var output = new byte[ow * oh];
        for (var oy = 0; oy < oh; oy++)
        {
            var (y0, y1) = (oy * sy, (oy + 1) * sy);
            var acc = new double[iw];
            var total = 0.0;
            for (var y = (int)y0; y < Math.Min(ih, (int)Math.Ceiling(y1)); y++)
            {
                var wy = Math.Min(y + 1, y1) - Math.Max(y, y0);
                if (wy > 0)
                {
                    total += wy;
                    for (var x = 0; x < iw; x++)
                    {
                        acc[x] += wy * Display(frame.Values[(y * iw) + x]);
                    }
                }
            }

            for (var ox = 0; ox < ow; ox++)
            {
                var (start, weights) = across[ox];
                var sum = 0.0;
                for (var k = 0; k < weights.Length; k++)
                {
                    sum += weights[k] * acc[start + k];
                }

                output[(oy * ow) + ox] = (byte)Math.Clamp((int)((sum / total) + 0.5), 0, 255);
            }
        }

        return output;
    }

    [Fact]
    public void Colour_and_other_widths_are_not_words()
    {
        Assert.Null(DicomPixelData.From(File(4, 4, 8, 7, false, new byte[32], bitsAllocated: 8)).DecodeWords());
    }

    private static DicomFile File(int width, int height, int bitsStored, int highBit, bool signed, byte[] pixels, int bitsAllocated = 16)
    {
        var ds = new DicomDataset();
        ds.AddString(DicomTag.SopClassUid, "UI", DicomUids.SecondaryCaptureImageStorage).AddString(DicomTag.SopInstanceUid, "UI", "2.25.7");
        ds.AddUInt16(DicomTag.Rows, (ushort)height).AddUInt16(DicomTag.Columns, (ushort)width).AddUInt16(DicomTag.SamplesPerPixel, 1);
        ds.AddUInt16(DicomTag.BitsAllocated, (ushort)bitsAllocated).AddUInt16(DicomTag.BitsStored, (ushort)bitsStored).AddUInt16(DicomTag.HighBit, (ushort)highBit);
        ds.AddUInt16(DicomTag.PixelRepresentation, (ushort)(signed ? 1 : 0));
        ds.AddString(DicomTag.PhotometricInterpretation, "CS", "MONOCHROME2");
        ds.AddBytes(DicomTag.PixelData, "OW", pixels);
        return new DicomFile(DicomWriter.CreateMeta(ds), ds);
    }
}
