using System.Buffers;
using System.Numerics;
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
    }

    private readonly struct IntSource(int[] values, int width) : IRowSource
    {
        public ReadOnlySpan<int> Row(int y, int[] scratch) => values.AsSpan(y * width, width);
    }

    /// <summary>The stored values of a frame's words: the bits from High Bit down, sign-extended where signed.</summary>
    private readonly struct WordSource(WordFrame frame) : IRowSource
    {
        public ReadOnlySpan<int> Row(int y, int[] scratch)
        {
            var width = frame.Width;
            var words = MemoryMarshal.Cast<byte, ushort>(frame.Words.Span).Slice(y * width, width);
            var (left, right) = (15 - frame.HighBit, 16 - frame.BitsStored);
            var x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; x <= width - Vector<ushort>.Count; x += Vector<ushort>.Count)
                {
                    var shifted = Vector.ShiftLeft(new Vector<ushort>(words[x..]), left);
                    if (frame.Signed)
                    {
                        Vector.Widen(Vector.AsVectorInt16(shifted), out var lo, out var hi);
                        Vector.ShiftRightArithmetic(lo, right).CopyTo(scratch, x);
                        Vector.ShiftRightArithmetic(hi, right).CopyTo(scratch, x + Vector<int>.Count);
                    }
                    else
                    {
                        Vector.Widen(shifted, out var lo, out var hi);
                        Vector.AsVectorInt32(Vector.ShiftRightLogical(lo, right)).CopyTo(scratch, x);
                        Vector.AsVectorInt32(Vector.ShiftRightLogical(hi, right)).CopyTo(scratch, x + Vector<int>.Count);
                    }
                }
            }

            for (; x < width; x++)
            {
                scratch[x] = frame.Signed ? (short)(words[x] << left) >> right : (ushort)(words[x] << left) >> right;
            }

            return scratch.AsSpan(0, width);
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
    /// height the last d repeats the one before), each low row then through the same steps along it. A vector of
    /// columns per step; each source row is read once.
    /// </summary>
    private static void Level<TSource>(TSource source, int w, int h, int[] low)
        where TSource : struct, IRowSource
    {
        var lowWidth = (w + 1) / 2;
        var pool = ArrayPool<int>.Shared;
        int[] a = pool.Rent(w), b = pool.Rent(w), c = pool.Rent(w), dPrev = pool.Rent(w), d = pool.Rent(w), s = pool.Rent(w), even = pool.Rent(lowWidth + 1), detail = pool.Rent(lowWidth + 1);
        try
        {
            var top = source.Row(0, a);
            for (var i = 0; i < (h + 1) / 2; i++)
            {
                ReadOnlySpan<int> below = default;
                if (2 * i + 1 < h)
                {
                    var odd = source.Row(2 * i + 1, b);
                    below = 2 * i + 2 < h ? source.Row(2 * i + 2, c) : top;
                    Detail(top, odd, below, d.AsSpan(0, w));
                    if (i == 0)
                    {
                        d.AsSpan(0, w).CopyTo(dPrev);
                    }
                }
                else if (i == 0)
                {
                    // One row: nothing to lift.
                    top.CopyTo(s);
                    Horizontal(s.AsSpan(0, w), low.AsSpan(0, lowWidth), even, detail);
                    return;
                }
                else
                {
                    dPrev.AsSpan(0, w).CopyTo(d);
                }

                Lift(top, dPrev.AsSpan(0, w), d.AsSpan(0, w), s.AsSpan(0, w));
                Horizontal(s.AsSpan(0, w), low.AsSpan(i * lowWidth, lowWidth), even, detail);
                (dPrev, d) = (d, dPrev);
                if (below.IsEmpty)
                {
                    break;
                }

                // The row below becomes the next pair's top; its buffer must not be written until it is used.
                top = below;
                if (below.Overlaps(c))
                {
                    (a, c) = (c, a);
                }
            }
        }
        finally
        {
            foreach (var buffer in new[] { a, b, c, dPrev, d, s, even, detail })
            {
                pool.Return(buffer);
            }
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
    /// The same two steps along one row: its even samples E and odd samples O apart (E padded with its last sample
    /// past an even width's end), D(k+1) = O(k) − ⌊(E(k) + E(k+1)) / 2⌋ with D(0) = D(1) and, for an odd width, one
    /// more D repeating the last; then low(k) = E(k) + ⌊(D(k) + D(k+1) + 2) / 4⌋, vector by vector.
    /// </summary>
    private static void Horizontal(ReadOnlySpan<int> row, Span<int> low, int[] even, int[] detail)
    {
        var w = row.Length;
        if (w == 1)
        {
            low[0] = row[0];
            return;
        }

        var lowWidth = low.Length;
        var oddCount = w / 2;
        var k = 0;
        if (Avx2.IsSupported)
        {
            // Sixteen samples at a time: each half's evens and odds gathered in its own 128-bit lanes, then the lanes joined.
            var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            ref var start = ref MemoryMarshal.GetReference(row);
            for (; k + 8 <= oddCount; k += 8)
            {
                var first = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref start, (nuint)(2 * k)), split);
                var second = Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref start, (nuint)((2 * k) + 8)), split);
                Avx2.Permute2x128(first, second, 0x20).CopyTo(even.AsSpan(k));
                Avx2.Permute2x128(first, second, 0x31).CopyTo(detail.AsSpan(k + 1));
            }
        }

        for (; k < oddCount; k++)
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
}
