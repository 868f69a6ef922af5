using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging;

/// <summary>How stored values become display values: the DICOM grayscale pipeline's parameters for one image.</summary>
public sealed record GrayscaleTransform(
    double RescaleSlope,
    double RescaleIntercept,
    double? WindowCenter,
    double? WindowWidth,
    bool Invert,
    string VoiFunction = "LINEAR")
{
    /// <summary>Reads the modality LUT, first VOI window and photometric interpretation from a data set.</summary>
    public static GrayscaleTransform From(DicomDataset ds, string photometric)
    {
        var slope = ds.GetNumber(DicomTag.RescaleSlope) ?? 1.0;
        if (slope == 0 || double.IsNaN(slope))
        {
            slope = 1.0;
        }

        var center = ds.GetNumber(DicomTag.WindowCenter);
        var width = ds.GetNumber(DicomTag.WindowWidth);
        if (width is <= 0 || center is null || width is null)
        {
            center = null;
            width = null;
        }

        var function = (ds.GetString(DicomTag.VoiLutFunction) ?? "LINEAR").ToUpperInvariant();
        var invert = photometric == "MONOCHROME1";
        if (string.Equals(ds.GetString(DicomTag.PresentationLutShape), "INVERSE", StringComparison.Ordinal))
        {
            invert = !invert;
        }

        return new GrayscaleTransform(slope, ds.GetNumber(DicomTag.RescaleIntercept) ?? 0.0, center, width, invert, function);
    }
}

/// <summary>
/// Stored values → modality LUT → VOI window (or robust percentiles) → MONOCHROME1 inversion → 8-bit,
/// then an area-averaging reduction so the long side is at most <see cref="DefaultMaxSide"/>.
/// </summary>
public static class PixelPipeline
{
    public const int DefaultMaxSide = 512;

    /// <summary>Percentiles used for a VOI when the file gives no window.</summary>
    public const double LowPercentile = 0.005;
    public const double HighPercentile = 0.995;

    /// <summary>Reads a DICOM file and makes its model-ready 8-bit derivative.</summary>
    public static GrayImage Derive(DicomFile file, int maxSide = DefaultMaxSide, int frame = 0)
    {
        var pixels = DicomPixelData.From(file);
        var stored = pixels.DecodeFrame(frame);
        var gray = stored.SamplesPerPixel == 3 ? ToLuma(stored, pixels.Photometric) : stored;
        var photometric = stored.SamplesPerPixel == 3 ? "MONOCHROME2" : pixels.Photometric;
        if (photometric is not ("MONOCHROME1" or "MONOCHROME2"))
        {
            throw new DicomException($"photometric interpretation {photometric} is not supported for a grayscale derivative");
        }

        var transform = stored.SamplesPerPixel == 3
            ? new GrayscaleTransform(1, 0, 127.5, 256, false)
            : GrayscaleTransform.From(file.Dataset, photometric);
        return Derive(gray, transform, maxSide);
    }

    /// <summary>Applies the grayscale pipeline to stored values and reduces the result.</summary>
    public static GrayImage Derive(StoredFrame frame, GrayscaleTransform t, int maxSide = DefaultMaxSide)
    {
        if (frame.SamplesPerPixel != 1)
        {
            throw new ArgumentException("expects one sample per pixel", nameof(frame));
        }

        var (lo, hi) = VoiRange(frame.Values, t);
        var lut = BuildLut(frame.Values, t, lo, hi, out var minStored);
        var (w, h) = Fit(frame.Width, frame.Height, maxSide);
        return new GrayImage(w, h, ReduceThroughLut(frame, lut, minStored, w, h));
    }

    /// <summary>The window as a [lower, upper) range of modality values (DICOM PS3.3 C.11.2.1.2.1).</summary>
    public static (double Lo, double Hi) VoiRange(int[] stored, GrayscaleTransform t)
    {
        if (t.WindowCenter is { } c && t.WindowWidth is { } w)
        {
            if (t.VoiFunction == "LINEAR_EXACT")
            {
                return (c - (w / 2), c + (w / 2));
            }

            // LINEAR: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * range, clipped.
            var ww = Math.Max(w - 1, 1e-6);
            return (c - 0.5 - (ww / 2), c - 0.5 + (ww / 2));
        }

        return PercentileRange(stored, t);
    }

    /// <summary>The 0.5th and 99.5th percentiles of modality values, from a histogram of stored values.</summary>
    public static (double Lo, double Hi) PercentileRange(int[] stored, GrayscaleTransform t)
    {
        var min = int.MaxValue;
        var max = int.MinValue;
        foreach (var v in stored)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        if (max - min > 1 << 24)
        {
            throw new DicomException($"stored value range {min}..{max} is too wide to window");
        }

        var hist = new long[max - min + 1];
        foreach (var v in stored)
        {
            hist[v - min]++;
        }

        int Quantile(double q)
        {
            var target = (long)Math.Floor(q * (stored.Length - 1));
            long acc = 0;
            for (var i = 0; i < hist.Length; i++)
            {
                acc += hist[i];
                if (acc > target)
                {
                    return i + min;
                }
            }

            return max;
        }

        var a = (Quantile(LowPercentile) * t.RescaleSlope) + t.RescaleIntercept;
        var b = (Quantile(HighPercentile) * t.RescaleSlope) + t.RescaleIntercept;
        if (a > b)
        {
            (a, b) = (b, a);
        }

        if (b - a < 1e-9)
        {
            b = a + 1;
        }

        return (a, b);
    }

    /// <summary>A table from stored value to display value 0..255 (inversion applied), so each pixel costs one lookup.</summary>
    private static float[] BuildLut(int[] stored, GrayscaleTransform t, double lo, double hi, out int minStored)
    {
        var min = int.MaxValue;
        var max = int.MinValue;
        foreach (var v in stored)
        {
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        if ((long)max - min > 1 << 24)
        {
            throw new DicomException($"stored value range {min}..{max} is too wide to window");
        }

        minStored = min;
        var lut = new float[max - min + 1];
        var span = hi - lo;
        for (var i = 0; i < lut.Length; i++)
        {
            var m = ((i + min) * t.RescaleSlope) + t.RescaleIntercept;
            double y;
            if (t.VoiFunction == "SIGMOID" && t.WindowCenter is { } c && t.WindowWidth is { } w)
            {
                y = 255.0 / (1 + Math.Exp(-4 * (m - c) / w));
            }
            else
            {
                y = m <= lo ? 0 : m > hi ? 255 : (m - lo) / span * 255.0;
            }

            lut[i] = (float)(t.Invert ? 255.0 - y : y);
        }

        return lut;
    }

    /// <summary>The size of an image of <paramref name="w"/>×<paramref name="h"/> shrunk (never enlarged) so its long side is at most <paramref name="maxSide"/>.</summary>
    public static (int W, int H) Fit(int w, int h, int maxSide)
    {
        var longSide = Math.Max(w, h);
        if (longSide <= maxSide)
        {
            return (w, h);
        }

        var s = (double)maxSide / longSide;
        return (Math.Max(1, (int)Math.Round(w * s)), Math.Max(1, (int)Math.Round(h * s)));
    }

    private static byte[] ReduceThroughLut(StoredFrame f, float[] lut, int minStored, int ow, int oh)
    {
        var src = f.Values;
        var iw = f.Width;
        var ih = f.Height;
        var output = new byte[ow * oh];
        if (ow == iw && oh == ih)
        {
            for (var i = 0; i < src.Length; i++)
            {
                output[i] = (byte)(lut[src[i] - minStored] + 0.5f);
            }

            return output;
        }

        // Area averaging: output pixel (x, y) covers source [x*sx, (x+1)*sx) × [y*sy, (y+1)*sy) with fractional edge weights.
        var xs = Resampler.AreaWeights(iw, ow);
        var sy = (double)ih / oh;
        Parallel.For(0, oh, oy =>
        {
            var row = new double[ow];
            var y0 = oy * sy;
            var y1 = (oy + 1) * sy;
            var total = 0.0;
            for (var y = (int)y0; y < Math.Min(ih, (int)Math.Ceiling(y1)); y++)
            {
                var wy = Math.Min(y + 1, y1) - Math.Max(y, y0);
                if (wy <= 0)
                {
                    continue;
                }

                total += wy;
                var rowOffset = y * iw;
                for (var ox = 0; ox < ow; ox++)
                {
                    var (start, weights) = xs[ox];
                    double acc = 0;
                    for (var k = 0; k < weights.Length; k++)
                    {
                        acc += weights[k] * lut[src[rowOffset + start + k] - minStored];
                    }

                    row[ox] += acc * wy;
                }
            }

            var o = oy * ow;
            for (var ox = 0; ox < ow; ox++)
            {
                output[o + ox] = (byte)Math.Clamp((int)((row[ox] / total) + 0.5), 0, 255);
            }
        });
        return output;
    }

    private static StoredFrame ToLuma(StoredFrame rgb, string photometric)
    {
        var n = rgb.Width * rgb.Height;
        var o = new int[n];
        var isYbr = photometric.StartsWith("YBR", StringComparison.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var a = rgb.Values[i * 3];
            var b = rgb.Values[(i * 3) + 1];
            var c = rgb.Values[(i * 3) + 2];
            o[i] = isYbr ? a : (int)Math.Round((0.299 * a) + (0.587 * b) + (0.114 * c));
        }

        return new StoredFrame(rgb.Width, rgb.Height, 1, o);
    }
}
