using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MuraPipeline.Imaging;

/// <summary>Resampling used by ingest (area reduction) and by inference (bilinear resize to the model's input).</summary>
public static class Resampler
{
    /// <summary>For each output column, the first source column and the weights (summing to 1) of the source columns it covers.</summary>
    public static (int Start, double[] Weights)[] AreaWeights(int inSize, int outSize)
    {
        var s = (double)inSize / outSize;
        var result = new (int, double[])[outSize];
        for (var o = 0; o < outSize; o++)
        {
            var a = o * s;
            var b = (o + 1) * s;
            var start = (int)a;
            var end = Math.Min(inSize, (int)Math.Ceiling(b));
            var w = new double[end - start];
            for (var i = start; i < end; i++)
            {
                w[i - start] = (Math.Min(i + 1, b) - Math.Max(i, a)) / s;
            }

            result[o] = (start, w);
        }

        return result;
    }

    /// <summary>Resizes with area averaging when shrinking and bilinear interpolation when enlarging, to exactly <paramref name="ow"/>×<paramref name="oh"/>.</summary>
    public static float[] Resize(GrayImage src, int ow, int oh)
    {
        var o = new float[ow * oh];
        Resize(src, ow, oh, o);
        return o;
    }

    /// <summary><see cref="Resize(GrayImage, int, int)"/> into <paramref name="dst"/> (<paramref name="ow"/>×<paramref name="oh"/>); the intermediate planes are pooled.</summary>
    public static void Resize(GrayImage src, int ow, int oh, Span<float> dst)
    {
        var tmp = ArrayPool<float>.Shared.Rent(ow * src.Height);
        try
        {
            if (ow <= src.Width)
            {
                ShrinkRows(src, ow, tmp);
            }
            else
            {
                var pixels = ArrayPool<float>.Shared.Rent(src.Pixels.Length);
                try
                {
                    for (var i = 0; i < src.Pixels.Length; i++)
                    {
                        pixels[i] = src.Pixels[i];
                    }

                    ResizeAxis(pixels, src.Width, src.Height, ow, horizontal: true, tmp);
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(pixels);
                }
            }

            ResizeAxis(tmp, ow, src.Height, oh, horizontal: false, dst[..(ow * oh)]);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tmp);
        }
    }

    /// <summary>
    /// Each row of <paramref name="src"/> shrunk across to <paramref name="ow"/> columns by area averaging, straight from
    /// its bytes: the sums <see cref="ResizeAxis"/> makes (each weight times its value, added in order from zero, in double
    /// precision), by <see cref="FlatWeights.Sum"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShrinkRows(GrayImage src, int ow, float[] dst)
    {
        var w = src.Width;
        var across = FlatWeights.From(AreaWeights(w, ow));
        var line = ArrayPool<double>.Shared.Rent(w);
        var sums = ArrayPool<double>.Shared.Rent(ow);
        try
        {
            for (var y = 0; y < src.Height; y++)
            {
                var row = src.Pixels.AsSpan(y * w, w);
                var x = 0;
                if (Avx512F.IsSupported)
                {
                    // Sixteen bytes to sixteen doubles (exact), and the sums rounded to float eight at a time (the same
                    // rounding as a cast).
                    ref var r = ref MemoryMarshal.GetReference(row);
                    for (; x + 16 <= w; x += 16)
                    {
                        var ints = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref r, (nuint)x));
                        Avx512F.ConvertToVector512Double(ints.GetLower()).StoreUnsafe(ref line[0], (nuint)x);
                        Avx512F.ConvertToVector512Double(ints.GetUpper()).StoreUnsafe(ref line[0], (nuint)(x + 8));
                    }
                }

                for (; x < w; x++)
                {
                    line[x] = row[x];
                }

                across.Sum(line.AsSpan(0, w), sums.AsSpan(0, ow));
                var d = dst.AsSpan(y * ow, ow);
                var o = 0;
                if (Avx512F.IsSupported)
                {
                    for (; o + 8 <= d.Length; o += 8)
                    {
                        Avx512F.ConvertToVector256Single(Vector512.LoadUnsafe(ref sums[0], (nuint)o)).StoreUnsafe(ref d[0], (nuint)o);
                    }
                }

                for (; o < d.Length; o++)
                {
                    d[o] = (float)sums[o];
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(line);
            ArrayPool<double>.Shared.Return(sums);
        }
    }

    /// <summary><see cref="Resize"/>, rounded back to an 8-bit image.</summary>
    public static GrayImage ResizeGray(GrayImage src, int ow, int oh)
    {
        var resized = Resize(src, ow, oh);
        var pixels = new byte[resized.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp((int)(resized[i] + 0.5f), 0, 255);
        }

        return new GrayImage(ow, oh, pixels);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ResizeAxis(ReadOnlySpan<float> src, int w, int h, int outLen, bool horizontal, Span<float> dst)
    {
        var inLen = horizontal ? w : h;
        var lines = horizontal ? h : w;
        var dstW = horizontal ? outLen : w;
        if (outLen <= inLen && !horizontal)
        {
            // Down the columns a source row at a time (the same sums, in the same order, as column by column).
            var weights = AreaWeights(inLen, outLen);
            var acc = new double[w];
            for (var o = 0; o < outLen; o++)
            {
                var (start, wt) = weights[o];
                Array.Clear(acc);
                for (var k = 0; k < wt.Length; k++)
                {
                    AddScaled(acc, src.Slice((start + k) * w, w), wt[k]);
                }

                var d = dst.Slice(o * w, w);
                for (var x = 0; x < d.Length; x++)
                {
                    d[x] = (float)acc[x];
                }
            }

            return;
        }

        if (outLen <= inLen)
        {
            var weights = AreaWeights(inLen, outLen);
            for (var line = 0; line < lines; line++)
            {
                for (var o = 0; o < outLen; o++)
                {
                    var (start, wt) = weights[o];
                    double acc = 0;
                    for (var k = 0; k < wt.Length; k++)
                    {
                        acc += wt[k] * (horizontal ? src[(line * w) + start + k] : src[((start + k) * w) + line]);
                    }

                    if (horizontal)
                    {
                        dst[(line * dstW) + o] = (float)acc;
                    }
                    else
                    {
                        dst[(o * dstW) + line] = (float)acc;
                    }
                }
            }

            return;
        }

        var scale = (double)inLen / outLen;
        for (var line = 0; line < lines; line++)
        {
            for (var o = 0; o < outLen; o++)
            {
                var x = Math.Clamp(((o + 0.5) * scale) - 0.5, 0, inLen - 1);
                var x0 = (int)x;
                var x1 = Math.Min(x0 + 1, inLen - 1);
                var f = x - x0;
                double a = horizontal ? src[(line * w) + x0] : src[(x0 * w) + line];
                double b = horizontal ? src[(line * w) + x1] : src[(x1 * w) + line];
                var v = (float)((a * (1 - f)) + (b * f));
                if (horizontal)
                {
                    dst[(line * dstW) + o] = v;
                }
                else
                {
                    dst[(o * dstW) + line] = v;
                }
            }
        }
    }

    /// <summary><c>acc[x] += w * row[x]</c> in double precision.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddScaled(Span<double> acc, ReadOnlySpan<float> row, double w)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var wv = Vector256.Create(w);
            ref var a = ref MemoryMarshal.GetReference(acc);
            ref var r = ref MemoryMarshal.GetReference(row);
            for (; x + 8 <= row.Length; x += 8)
            {
                var f = Vector256.LoadUnsafe(ref r, (nuint)x);
                var lower = Vector256.LoadUnsafe(ref a, (nuint)x) + (wv * Vector256.WidenLower(f));
                var upper = Vector256.LoadUnsafe(ref a, (nuint)(x + 4)) + (wv * Vector256.WidenUpper(f));
                lower.StoreUnsafe(ref a, (nuint)x);
                upper.StoreUnsafe(ref a, (nuint)(x + 4));
            }
        }

        for (; x < row.Length; x++)
        {
            acc[x] += w * row[x];
        }
    }

    /// <summary>
    /// <c>acc[x] += w · row[x]</c> (<c>acc[x] = w · row[x]</c> when <paramref name="assign"/>) and <c>next[x] = wNext · row[x]</c>
    /// in one pass: the sums <see cref="AddScaled"/> makes into a cleared and an open accumulator, to the last bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddScaledTwo(Span<double> acc, double w, bool assign, Span<double> next, double wNext, ReadOnlySpan<float> row)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var wv = Vector256.Create(w);
            var wn = Vector256.Create(wNext);
            ref var a = ref MemoryMarshal.GetReference(acc);
            ref var n = ref MemoryMarshal.GetReference(next);
            ref var r = ref MemoryMarshal.GetReference(row);
            for (; x + 8 <= row.Length; x += 8)
            {
                var f = Vector256.LoadUnsafe(ref r, (nuint)x);
                var lo = Vector256.WidenLower(f);
                var hi = Vector256.WidenUpper(f);
                (wn * lo).StoreUnsafe(ref n, (nuint)x);
                (wn * hi).StoreUnsafe(ref n, (nuint)(x + 4));
                var lower = assign ? wv * lo : Vector256.LoadUnsafe(ref a, (nuint)x) + (wv * lo);
                var upper = assign ? wv * hi : Vector256.LoadUnsafe(ref a, (nuint)(x + 4)) + (wv * hi);
                lower.StoreUnsafe(ref a, (nuint)x);
                upper.StoreUnsafe(ref a, (nuint)(x + 4));
            }
        }

        for (; x < row.Length; x++)
        {
            acc[x] = assign ? w * row[x] : acc[x] + (w * row[x]);
            next[x] = wNext * row[x];
        }
    }
}
