using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MuraPipeline.Imaging;

/// <summary>
/// Area weights for a pass across rows, in one array, a fixed stride to an output column and padded with zeros
/// (a zero weight adds an exact 0, so sums are unchanged); a start is moved left where the padding would run past the
/// edge.
/// </summary>
internal sealed class FlatWeights
{
    private readonly int[] _starts;
    private readonly double[] _weights;
    private readonly int _stride;
    private readonly int _inSize;
    private readonly double[]? _weights8;

    private FlatWeights(int[] starts, double[] weights, int stride, int inSize)
    {
        _starts = starts;
        _weights = weights;
        _stride = stride;
        _inSize = inSize;
        if (stride is > 0 and <= 8 && Avx512F.IsSupported)
        {
            // The same weights eight to a column (the rest zero), for eight columns summed side by side in vectors.
            _weights8 = new double[starts.Length * 8];
            for (var o = 0; o < starts.Length; o++)
            {
                weights.AsSpan(o * stride, stride).CopyTo(_weights8.AsSpan(o * 8));
            }
        }
    }

    public static FlatWeights From((int Start, double[] Weights)[] xs)
    {
        var inSize = xs.Length == 0 ? 0 : xs[^1].Start + xs[^1].Weights.Length;
        var stride = xs.Length == 0 ? 0 : xs.Max(x => x.Weights.Length);
        var starts = new int[xs.Length];
        var weights = new double[xs.Length * stride];
        for (var o = 0; o < xs.Length; o++)
        {
            var (start, w) = xs[o];
            var shift = Math.Max(0, start + stride - inSize);
            starts[o] = start - shift;
            w.CopyTo(weights, (o * stride) + shift);
        }

        return new FlatWeights(starts, weights, stride, inSize);
    }

    /// <summary>
    /// Eight columns at a time, as far as eight values from each start lie in the row (returns where it stopped): each
    /// column's window is read as one vector and multiplied by its weights, the eight products are transposed so that
    /// vector k holds every column's k-th product, and those are added in order of k, from zero: the scalar sums,
    /// eight side by side.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SumEights(ReadOnlySpan<double> row, Span<double> sums, double[] w8)
    {
        var n = _starts.Length;
        var stride = _stride;
        var last = row.Length - 8;
        ref var r = ref MemoryMarshal.GetReference(row);
        ref var w = ref MemoryMarshal.GetArrayDataReference(w8);
        ref var st = ref MemoryMarshal.GetArrayDataReference(_starts);
        ref var o = ref MemoryMarshal.GetReference(sums);
        var x = 0;
        for (; x + 8 <= n && Unsafe.Add(ref st, x + 7) <= last; x += 8)
        {
            var (p0, p1, p2, p3) = (Product(ref r, ref w, ref st, x), Product(ref r, ref w, ref st, x + 1), Product(ref r, ref w, ref st, x + 2), Product(ref r, ref w, ref st, x + 3));
            var (p4, p5, p6, p7) = (Product(ref r, ref w, ref st, x + 4), Product(ref r, ref w, ref st, x + 5), Product(ref r, ref w, ref st, x + 6), Product(ref r, ref w, ref st, x + 7));
            var (a0, a1, a2, a3) = (Avx512F.UnpackLow(p0, p1), Avx512F.UnpackHigh(p0, p1), Avx512F.UnpackLow(p2, p3), Avx512F.UnpackHigh(p2, p3));
            var (a4, a5, a6, a7) = (Avx512F.UnpackLow(p4, p5), Avx512F.UnpackHigh(p4, p5), Avx512F.UnpackLow(p6, p7), Avx512F.UnpackHigh(p6, p7));
            var (b0, b1, b2, b3) = (Avx512F.Shuffle4x128(a0, a2, 0x88), Avx512F.Shuffle4x128(a0, a2, 0xDD), Avx512F.Shuffle4x128(a1, a3, 0x88), Avx512F.Shuffle4x128(a1, a3, 0xDD));
            var (b4, b5, b6, b7) = (Avx512F.Shuffle4x128(a4, a6, 0x88), Avx512F.Shuffle4x128(a4, a6, 0xDD), Avx512F.Shuffle4x128(a5, a7, 0x88), Avx512F.Shuffle4x128(a5, a7, 0xDD));
            // Vector k holds every column's k-th product; added in order of k, from zero. Written out, not looped over a
            // stack array of the eight: that measured 10-30 % slower here.
            var s = Vector512<double>.Zero + Avx512F.Shuffle4x128(b0, b4, 0x88);
            if (stride > 1)
            {
                s += Avx512F.Shuffle4x128(b2, b6, 0x88);
            }

            if (stride > 2)
            {
                s += Avx512F.Shuffle4x128(b1, b5, 0x88);
            }

            if (stride > 3)
            {
                s += Avx512F.Shuffle4x128(b3, b7, 0x88);
            }

            if (stride > 4)
            {
                s += Avx512F.Shuffle4x128(b0, b4, 0xDD);
            }

            if (stride > 5)
            {
                s += Avx512F.Shuffle4x128(b2, b6, 0xDD);
            }

            if (stride > 6)
            {
                s += Avx512F.Shuffle4x128(b1, b5, 0xDD);
            }

            if (stride > 7)
            {
                s += Avx512F.Shuffle4x128(b3, b7, 0xDD);
            }

            s.StoreUnsafe(ref o, (nuint)x);
        }

        return x;
    }

    /// <summary>Column <paramref name="x"/>'s eight values from its start times its eight weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Product(ref double row, ref double w8, ref int starts, int x) =>
        Vector512.LoadUnsafe(ref row, (nuint)Unsafe.Add(ref starts, x)) * Vector512.LoadUnsafe(ref w8, (nuint)(x * 8));

    /// <summary>
    /// <c>sums[x] = Σₖ weight[x, k] · row[start[x] + k]</c> in double precision. Four columns are summed side by side
    /// so the additions do not wait on each other; each sum still adds its terms in order, so the result is exactly
    /// that of one column at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Sum(ReadOnlySpan<double> row, Span<double> sums)
    {
        var n = _starts.Length;
        if (row.Length < _inSize || sums.Length < n)
        {
            throw new ArgumentException($"a row of {row.Length} into {sums.Length} sums; the weights need {_inSize} into {n}");
        }

        ref var r = ref MemoryMarshal.GetReference(row);
        ref var wt = ref MemoryMarshal.GetArrayDataReference(_weights);
        var stride = _stride;
        var x = 0;
        if (_weights8 is { } w8)
        {
            x = SumEights(row, sums, w8);
        }

        for (; x + 4 <= n; x += 4)
        {
            ref var c0 = ref Unsafe.Add(ref r, _starts[x]);
            ref var c1 = ref Unsafe.Add(ref r, _starts[x + 1]);
            ref var c2 = ref Unsafe.Add(ref r, _starts[x + 2]);
            ref var c3 = ref Unsafe.Add(ref r, _starts[x + 3]);
            ref var w0 = ref Unsafe.Add(ref wt, x * stride);
            ref var w1 = ref Unsafe.Add(ref w0, stride);
            ref var w2 = ref Unsafe.Add(ref w1, stride);
            ref var w3 = ref Unsafe.Add(ref w2, stride);
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (var k = 0; k < stride; k++)
            {
                s0 += Unsafe.Add(ref w0, k) * Unsafe.Add(ref c0, k);
                s1 += Unsafe.Add(ref w1, k) * Unsafe.Add(ref c1, k);
                s2 += Unsafe.Add(ref w2, k) * Unsafe.Add(ref c2, k);
                s3 += Unsafe.Add(ref w3, k) * Unsafe.Add(ref c3, k);
            }

            sums[x] = s0;
            sums[x + 1] = s1;
            sums[x + 2] = s2;
            sums[x + 3] = s3;
        }

        for (; x < n; x++)
        {
            var cols = row.Slice(_starts[x], stride);
            var wx = _weights.AsSpan(x * stride, stride);
            double sum = 0;
            for (var k = 0; k < wx.Length; k++)
            {
                sum += wx[k] * cols[k];
            }

            sums[x] = sum;
        }
    }
}
