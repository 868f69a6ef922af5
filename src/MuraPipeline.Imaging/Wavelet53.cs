using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging;

/// <summary>
/// The low band of JPEG 2000's reversible 5/3 wavelet (ITU-T T.800 Annex F: the lifting steps of F.4.8.2, symmetric
/// extension, each level a vertical then a horizontal analysis), computed here from stored values. A reduced JPEG 2000
/// or HTJ2K decode returns exactly this band, so a derivative made from it is the same whatever syntax the image came
/// in: the reduction is part of what a derivative is, not a shortcut one codec takes. Values stay integers between
/// levels and are clamped to the stored range only at the end, as a decoder clamps its output.
/// </summary>
public static class Wavelet53
{
    /// <summary>
    /// <paramref name="frame"/> reduced by <paramref name="levels"/> levels: its low band, each side halved and rounded
    /// up per level, in a pooled buffer that disposing the band gives back (none is taken for no levels).
    /// </summary>
    public static Band Reduce(WordFrame frame, int levels)
    {
        if (levels <= 0)
        {
            return new Band(frame, null);
        }

        // The first level reads the words a row at a time (no full-size copy of the frame); later levels, the band.
        var (w, h) = (frame.Width, frame.Height);
        var band = ArrayPool<int>.Shared.Rent(((w + 1) / 2) * ((h + 1) / 2));
        try
        {
            Level(new WordSource(frame), w, h, band);
            (w, h) = ((w + 1) / 2, (h + 1) / 2);
            for (var level = 1; level < levels && (w > 1 || h > 1); level++)
            {
                var next = ArrayPool<int>.Shared.Rent(((w + 1) / 2) * ((h + 1) / 2));
                Level(new IntSource(band, w), w, h, next);
                ArrayPool<int>.Shared.Return(band);
                band = next;
                (w, h) = ((w + 1) / 2, (h + 1) / 2);
            }

            return Pack(band, w, h, frame);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(band);
        }
    }

    /// <summary>Where a level's rows come from: the frame's words, or the band of the level before.</summary>
    private interface IRowSource
    {
        /// <summary>Row <paramref name="y"/>'s values, in <paramref name="scratch"/> or wherever they already are.</summary>
        ReadOnlySpan<int> Row(int y, int[] scratch);

        /// <summary>Row <paramref name="y"/>'s values from <paramref name="x"/> on, two vectors' worth (<see cref="Vector{T}.Count"/> of <see cref="ushort"/>).</summary>
        void Load(int y, int x, out Vector<int> lo, out Vector<int> hi);

        /// <summary>Row <paramref name="y"/>'s value at <paramref name="x"/>.</summary>
        int At(int y, int x);
    }

    private readonly struct IntSource(int[] values, int width) : IRowSource
    {
        public ReadOnlySpan<int> Row(int y, int[] scratch) => values.AsSpan(y * width, width);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(int y, int x, out Vector<int> lo, out Vector<int> hi)
        {
            ref var start = ref values[y * width];
            lo = Vector.LoadUnsafe(ref start, (nuint)x);
            hi = Vector.LoadUnsafe(ref start, (nuint)(x + Vector<int>.Count));
        }

        public int At(int y, int x) => values[(y * width) + x];
    }

    /// <summary>The stored values of a frame's words: the bits from High Bit down, sign-extended where signed.</summary>
    private readonly ref struct WordSource(WordFrame frame) : IRowSource
    {
        private readonly ReadOnlySpan<ushort> _words = MemoryMarshal.Cast<byte, ushort>(frame.Words.Span);
        private readonly int _width = frame.Width;
        private readonly int _left = 15 - frame.HighBit;
        private readonly int _right = 16 - frame.BitsStored;
        private readonly bool _signed = frame.Signed;

        public ReadOnlySpan<int> Row(int y, int[] scratch)
        {
            var x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; x <= _width - Vector<ushort>.Count; x += Vector<ushort>.Count)
                {
                    Load(y, x, out var lo, out var hi);
                    lo.CopyTo(scratch, x);
                    hi.CopyTo(scratch, x + Vector<int>.Count);
                }
            }

            for (; x < _width; x++)
            {
                scratch[x] = At(y, x);
            }

            return scratch.AsSpan(0, _width);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(int y, int x, out Vector<int> lo, out Vector<int> hi)
        {
            var shifted = Vector.ShiftLeft(Vector.LoadUnsafe(ref MemoryMarshal.GetReference(_words), (nuint)((y * _width) + x)), _left);
            if (_signed)
            {
                Vector.Widen(Vector.AsVectorInt16(shifted), out lo, out hi);
                (lo, hi) = (Vector.ShiftRightArithmetic(lo, _right), Vector.ShiftRightArithmetic(hi, _right));
            }
            else
            {
                Vector.Widen(shifted, out var ulo, out var uhi);
                (lo, hi) = (Vector.AsVectorInt32(Vector.ShiftRightLogical(ulo, _right)), Vector.AsVectorInt32(Vector.ShiftRightLogical(uhi, _right)));
            }
        }

        public int At(int y, int x)
        {
            var word = _words[(y * _width) + x];
            return _signed ? (short)(word << _left) >> _right : (ushort)(word << _left) >> _right;
        }
    }

    /// <summary>A reduced frame and the pooled buffer its words are in, given back on <see cref="Dispose"/>.</summary>
    public sealed class Band(WordFrame frame, byte[]? rented) : IDisposable
    {
        private byte[]? _rented = rented;

        public WordFrame Frame { get; } = frame;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _rented, null) is { } buffer)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The band back into words (Bits Stored as given, High Bit one below), clamped to what the stored bits hold.</summary>
    private static Band Pack(int[] values, int w, int h, WordFrame like)
    {
        var bits = like.BitsStored;
        var (min, max) = like.Signed ? (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) : (0, (1 << bits) - 1);
        var mask = (1 << bits) - 1;
        var bytes = ArrayPool<byte>.Shared.Rent(w * h * 2);
        var words = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan(0, w * h * 2));
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (lo, hi, bitsMask) = (new Vector<int>(min), new Vector<int>(max), new Vector<uint>((uint)mask));
            for (; i <= words.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                var a = Vector.AsVectorUInt32(Vector.Min(Vector.Max(new Vector<int>(values, i), lo), hi)) & bitsMask;
                var b = Vector.AsVectorUInt32(Vector.Min(Vector.Max(new Vector<int>(values, i + Vector<int>.Count), lo), hi)) & bitsMask;
                Vector.Narrow(a, b).CopyTo(words[i..]);
            }
        }

        for (; i < words.Length; i++)
        {
            words[i] = (ushort)(Math.Clamp(values[i], min, max) & mask);
        }

        return new Band(new WordFrame(w, h, bytes.AsMemory(0, w * h * 2), bits, bits - 1, like.Signed), bytes);
    }

    /// <summary>
    /// One level: the vertical analysis's low rows, d(i) = x(2i+1) − ⌊(x(2i) + x(2i+2)) / 2⌋ and then
    /// s(i) = x(2i) + ⌊(d(i−1) + d(i) + 2) / 4⌋, with the signal mirrored at both ends (so d(−1) = d(0), and for an odd
    /// height the last d repeats the one before), each low row then through the same steps along it. Each source row
    /// is read once, and the two vertical steps are one pass (<see cref="Vertical"/>).
    /// </summary>
    private static void Level<TSource>(TSource source, int w, int h, int[] low)
        where TSource : struct, IRowSource, allows ref struct
    {
        var lowWidth = (w + 1) / 2;
        var pool = ArrayPool<int>.Shared;
        int[] top = pool.Rent(w), next = pool.Rent(w), odd = pool.Rent(w), dPrev = pool.Rent(w), d = pool.Rent(w), s = pool.Rent(w), even = pool.Rent(lowWidth + 1), detail = pool.Rent(lowWidth + 1);
        try
        {
            source.Row(0, top).CopyTo(top);
            if (h == 1)
            {
                // One row: nothing to lift.
                Horizontal(top.AsSpan(0, w), low.AsSpan(0, lowWidth), even, detail);
                return;
            }

            for (var i = 0; i < (h + 1) / 2; i++)
            {
                var y = (2 * i) + 1;
                if (y + 1 < h)
                {
                    // The common case: the odd row and the even row below both there; the row below is the next top.
                    Vertical(source, y, top, i == 0 ? null : dPrev, d, s, next, w);
                    (top, next) = (next, top);
                }
                else if (y < h)
                {
                    // An even height's last pair: the row below mirrors the top.
                    var oddRow = source.Row(y, odd);
                    Detail(top.AsSpan(0, w), oddRow, top.AsSpan(0, w), d.AsSpan(0, w));
                    Lift(top.AsSpan(0, w), (i == 0 ? d : dPrev).AsSpan(0, w), d.AsSpan(0, w), s.AsSpan(0, w));
                }
                else
                {
                    // An odd height's last row: its d mirrors the one before.
                    Lift(top.AsSpan(0, w), dPrev.AsSpan(0, w), dPrev.AsSpan(0, w), s.AsSpan(0, w));
                }

                Horizontal(s.AsSpan(0, w), low.AsSpan(i * lowWidth, lowWidth), even, detail);
                (dPrev, d) = (d, dPrev);
            }
        }
        finally
        {
            foreach (var buffer in new[] { top, next, odd, dPrev, d, s, even, detail })
            {
                pool.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Both vertical steps for rows <paramref name="y"/> (odd) and <paramref name="y"/> + 1 in one pass:
    /// d = odd − ⌊(top + below) / 2⌋, s = top + ⌊(dPrev + d + 2) / 4⌋ (dPrev = d for the first pair), and the row below
    /// kept in <paramref name="below"/> as the next pair's top. Two vectors of columns a step, read from the source
    /// directly (a frame's words are widened as they are read, never copied into a row of their own).
    /// </summary>
    private static void Vertical<TSource>(TSource source, int y, int[] top, int[]? dPrev, int[] d, int[] s, int[] below, int w)
        where TSource : struct, IRowSource, allows ref struct
    {
        var k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var n = Vector<int>.Count;
            var two = new Vector<int>(2);
            ref var t = ref MemoryMarshal.GetArrayDataReference(top);
            ref var dr = ref MemoryMarshal.GetArrayDataReference(d);
            ref var sr = ref MemoryMarshal.GetArrayDataReference(s);
            ref var br = ref MemoryMarshal.GetArrayDataReference(below);
            ref var pr = ref MemoryMarshal.GetArrayDataReference(dPrev ?? d);
            for (; k <= w - (2 * n); k += 2 * n)
            {
                source.Load(y, k, out var o0, out var o1);
                source.Load(y + 1, k, out var b0, out var b1);
                var (at0, at1) = ((nuint)k, (nuint)(k + n));
                var (t0, t1) = (Vector.LoadUnsafe(ref t, at0), Vector.LoadUnsafe(ref t, at1));
                var d0 = o0 - Vector.ShiftRightArithmetic(t0 + b0, 1);
                var d1 = o1 - Vector.ShiftRightArithmetic(t1 + b1, 1);
                var (p0, p1) = dPrev is null ? (d0, d1) : (Vector.LoadUnsafe(ref pr, at0), Vector.LoadUnsafe(ref pr, at1));
                (t0 + Vector.ShiftRightArithmetic(p0 + d0 + two, 2)).StoreUnsafe(ref sr, at0);
                (t1 + Vector.ShiftRightArithmetic(p1 + d1 + two, 2)).StoreUnsafe(ref sr, at1);
                d0.StoreUnsafe(ref dr, at0);
                d1.StoreUnsafe(ref dr, at1);
                b0.StoreUnsafe(ref br, at0);
                b1.StoreUnsafe(ref br, at1);
            }
        }

        for (; k < w; k++)
        {
            var b = source.At(y + 1, k);
            d[k] = source.At(y, k) - ((top[k] + b) >> 1);
            s[k] = top[k] + (((dPrev ?? d)[k] + d[k] + 2) >> 2);
            below[k] = b;
        }
    }

    /// <summary>d = odd − ⌊(above + below) / 2⌋, element by element.</summary>
    private static void Detail(ReadOnlySpan<int> above, ReadOnlySpan<int> odd, ReadOnlySpan<int> below, Span<int> d)
    {
        var k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; k <= d.Length - Vector<int>.Count; k += Vector<int>.Count)
            {
                var sum = new Vector<int>(above[k..]) + new Vector<int>(below[k..]);
                (new Vector<int>(odd[k..]) - Vector.ShiftRightArithmetic(sum, 1)).CopyTo(d[k..]);
            }
        }

        for (; k < d.Length; k++)
        {
            d[k] = odd[k] - ((above[k] + below[k]) >> 1);
        }
    }

    /// <summary>s = even + ⌊(dPrev + d + 2) / 4⌋, element by element.</summary>
    private static void Lift(ReadOnlySpan<int> even, ReadOnlySpan<int> dPrev, ReadOnlySpan<int> d, Span<int> s)
    {
        var k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var two = new Vector<int>(2);
            for (; k <= s.Length - Vector<int>.Count; k += Vector<int>.Count)
            {
                var update = Vector.ShiftRightArithmetic(new Vector<int>(dPrev[k..]) + new Vector<int>(d[k..]) + two, 2);
                (new Vector<int>(even[k..]) + update).CopyTo(s[k..]);
            }
        }

        for (; k < s.Length; k++)
        {
            s[k] = even[k] + ((dPrev[k] + d[k] + 2) >> 2);
        }
    }

    /// <summary>
    /// The same two steps along one row: with E(k) = x(2k) and O(k) = x(2k+1), D(k+1) = O(k) − ⌊(E(k) + E(k+1)) / 2⌋
    /// and low(k) = E(k) + ⌊(D(k) + D(k+1) + 2) / 4⌋, the row mirrored at its ends (past an even width's end E
    /// repeats x(w−2); D(0) = D(1), and past the last odd sample D repeats the last). Eight outputs a step with AVX2:
    /// the evens and odds around them gathered from three overlapping reads, nothing stored between the steps.
    /// </summary>
    private static void Horizontal(ReadOnlySpan<int> row, Span<int> low, int[] even, int[] detail)
    {
        var w = row.Length;
        if (w == 1)
        {
            low[0] = row[0];
            return;
        }

        var k = 0;
        if (Avx2.IsSupported && w >= 48)
        {
            // Outputs k..k+7 read x(2k−2) to x(2k+17): from k = 1 while those are inside the row and D(k+8) is a real odd sample's.
            low[0] = LowAt(row, 0);
            k = 1;
            var last = (w - 18) / 2;
            var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            var two = Vector256.Create(2);
            ref var start = ref MemoryMarshal.GetReference(row);
            ref var output = ref MemoryMarshal.GetReference(low);
            for (; k <= last; k += 8)
            {
                var (em, om) = Split(ref start, (2 * k) - 2, split);
                var (e0, o0) = Split(ref start, 2 * k, split);
                var (e1, _) = Split(ref start, (2 * k) + 2, split);
                var d0 = om - Vector256.ShiftRightArithmetic(em + e0, 1);
                var d1 = o0 - Vector256.ShiftRightArithmetic(e0 + e1, 1);
                (e0 + Vector256.ShiftRightArithmetic(d0 + d1 + two, 2)).StoreUnsafe(ref output, (nuint)k);
            }
        }
        else
        {
            SplitThenLift(row, low, even, detail);
            return;
        }

        for (; k < low.Length; k++)
        {
            low[k] = LowAt(row, k);
        }
    }

    /// <summary>
    /// The same without AVX2: the evens and odds copied apart (E padded past an even width's end), then both steps a
    /// vector at a time (<see cref="Detail"/>, <see cref="Lift"/>), D(0) = D(1) and D repeating its last past the end.
    /// </summary>
    private static void SplitThenLift(ReadOnlySpan<int> row, Span<int> low, int[] even, int[] detail)
    {
        var (w, lowWidth) = (row.Length, low.Length);
        var oddCount = w / 2;
        for (var k = 0; k < oddCount; k++)
        {
            even[k] = row[2 * k];
            detail[k + 1] = row[(2 * k) + 1];
        }

        if (lowWidth > oddCount)
        {
            even[lowWidth - 1] = row[w - 1];
        }

        even[lowWidth] = even[lowWidth - 1];
        Detail(even.AsSpan(0, oddCount), detail.AsSpan(1, oddCount), even.AsSpan(1, oddCount), detail.AsSpan(1, oddCount));
        detail[0] = detail[1];
        if (lowWidth > oddCount)
        {
            detail[lowWidth] = detail[lowWidth - 1];
        }

        Lift(even.AsSpan(0, lowWidth), detail.AsSpan(0, lowWidth), detail.AsSpan(1, lowWidth), low);
    }

    /// <summary>The evens and the odds of the sixteen values from <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> Even, Vector256<int> Odd) Split(ref int row, int at, Vector256<int> split)
    {
        var first = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref row, (nuint)at), split);
        var second = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref row, (nuint)(at + 8)), split);
        return (Avx2.Permute2x128(first, second, 0x20), Avx2.Permute2x128(first, second, 0x31));
    }

    /// <summary>low(k), with the row's ends mirrored.</summary>
    private static int LowAt(ReadOnlySpan<int> row, int k) => EvenAt(row, k) + ((DetailAt(row, k) + DetailAt(row, k + 1) + 2) >> 2);

    private static int EvenAt(ReadOnlySpan<int> row, int k) => 2 * k < row.Length ? row[2 * k] : row[(2 * k) - 2];

    /// <summary>D(j) = O(j−1) − ⌊(E(j−1) + E(j)) / 2⌋ for 1 ≤ j ≤ the odd samples' count; D(0) = D(1), and D repeats its last past the end.</summary>
    private static int DetailAt(ReadOnlySpan<int> row, int j)
    {
        j = Math.Clamp(j, 1, row.Length / 2);
        return row[(2 * j) - 1] - ((EvenAt(row, j - 1) + EvenAt(row, j)) >> 1);
    }
}
