using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace MuraPipeline.Imaging;

/// <summary>PNG encoding (8-bit gray or RGB) and decoding (every colour type and bit depth, Adam7) to 8-bit gray.</summary>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    public static byte[] Encode(GrayImage image) => Encode(image.Width, image.Height, 1, image.Pixels);

    public static byte[] Encode(RgbImage image) => Encode(image.Width, image.Height, 3, image.Pixels);

    private static byte[] Encode(int width, int height, int channels, byte[] pixels)
    {
        // Compressed into a pooled buffer that holds the most the compressor can write (zlib-ng's fastest level grows
        // incompressible input by up to an eighth, plus block and wrapper bytes), so the only new array is the file.
        var filtered = (long)height * ((width * channels) + 1);
        var pooled = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, filtered + (filtered / 8) + 1024));
        try
        {
            return Wrap(width, height, channels, Compress(new MemoryStream(pooled, 0, pooled.Length, writable: true), width, height, channels, pixels, pooled));
        }
        catch (NotSupportedException)
        {
            // More than that bound (a fixed-size stream cannot grow): compressed again into one that can.
            using var grown = new MemoryStream();
            return Wrap(width, height, channels, Compress(grown, width, height, channels, pixels, null));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(pooled);
        }
    }

    /// <summary>The zlib stream of the filtered rows, as written into <paramref name="target"/> (whose buffer is <paramref name="buffer"/>, or its own).</summary>
    private static ReadOnlySpan<byte> Compress(MemoryStream target, int width, int height, int channels, byte[] pixels, byte[]? buffer)
    {
        var stride = width * channels;
        using (var z = new ZLibStream(target, CompressionLevel.Fastest, leaveOpen: true))
        {
            // One fixed filter, Up (each byte minus the one above it), in one vectorised pass per row: trying all five
            // filters per row (libpng's heuristic) cost five passes for a few per cent of size on radiographs.
            var line = new byte[stride + 1];
            line[0] = 2;
            for (var y = 0; y < height; y++)
            {
                var cur = pixels.AsSpan(y * stride, stride);
                var residual = line.AsSpan(1);
                if (y == 0)
                {
                    cur.CopyTo(residual);
                }
                else
                {
                    UpResiduals(cur, pixels.AsSpan((y - 1) * stride, stride), residual);
                }

                z.Write(line);
            }
        }

        return (buffer ?? target.GetBuffer()).AsSpan(0, (int)target.Position);
    }

    /// <summary>The file in one array of its final size: signature, IHDR, one IDAT of <paramref name="idat"/>, IEND.</summary>
    private static byte[] Wrap(int width, int height, int channels, ReadOnlySpan<byte> idat)
    {
        var png = new byte[Signature.Length + (12 + 13) + (12 + idat.Length) + 12];
        Signature.CopyTo(png);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);
        var at = WriteChunk(png, Signature.Length, "IHDR"u8, ihdr);
        at = WriteChunk(png, at, "IDAT"u8, idat);
        WriteChunk(png, at, "IEND"u8, []);
        return png;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpResiduals(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> above, Span<byte> residual)
    {
        var i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            for (; i <= cur.Length - System.Numerics.Vector<byte>.Count; i += System.Numerics.Vector<byte>.Count)
            {
                (new System.Numerics.Vector<byte>(cur[i..]) - new System.Numerics.Vector<byte>(above[i..])).CopyTo(residual[i..]);
            }
        }

        for (; i < cur.Length; i++)
        {
            residual[i] = (byte)(cur[i] - above[i]);
        }
    }

    /// <summary>Decodes any standard PNG to 8-bit gray (colour by ITU-R BT.601 luma; alpha ignored).</summary>
    public static unsafe GrayImage DecodeGray(ReadOnlySpan<byte> png)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature))
        {
            throw new PngException(png.Length == 0 ? "file is empty (0 bytes)" : "not a PNG file: the signature is missing");
        }

        var pos = 8;
        int width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
        byte[]? palette = null;
        var idat = new List<(int Offset, int Length)>(1);
        var idatLength = 0L;
        var sawEnd = false;
        while (pos + 12 <= png.Length)
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(png[pos..]);
            if (len < 0 || pos + 12L + len > png.Length)
            {
                throw new PngException($"chunk at offset {pos} runs past the end of the file (truncated PNG)");
            }

            var type = png.Slice(pos + 4, 4);
            var body = png.Slice(pos + 8, len);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + len)..]);
            if (crc != Crc(png.Slice(pos + 4, len + 4)))
            {
                throw new PngException($"chunk {System.Text.Encoding.ASCII.GetString(type)} at offset {pos} has a bad CRC (corrupt PNG)");
            }

            if (type.SequenceEqual("IHDR"u8))
            {
                if (len != 13)
                {
                    throw new PngException("IHDR chunk has the wrong length");
                }

                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                depth = body[8];
                colorType = body[9];
                interlace = body[12];
            }
            else if (type.SequenceEqual("PLTE"u8))
            {
                palette = body.ToArray();
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idat.Add((pos + 8, len));
                idatLength += len;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                sawEnd = true;
                break;
            }

            pos += 12 + len;
        }

        if (width <= 0 || height <= 0 || colorType < 0)
        {
            throw new PngException("PNG has no valid IHDR chunk");
        }

        if ((long)width * height > 1L << 28)
        {
            throw new PngException($"PNG is {width}x{height}, larger than this pipeline accepts");
        }

        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new PngException($"PNG colour type {colorType} is invalid") };
        if (depth is not (1 or 2 or 4 or 8 or 16) || (colorType is 2 or 4 or 6 && depth < 8) || (colorType == 3 && depth > 8))
        {
            throw new PngException($"PNG bit depth {depth} is invalid for colour type {colorType}");
        }

        if (colorType == 3 && palette is null)
        {
            throw new PngException("palette PNG has no PLTE chunk");
        }

        if (!sawEnd && idatLength == 0)
        {
            throw new PngException("PNG has no image data (truncated)");
        }

        byte[] raw;
        byte[]? joined = null;
        try
        {
            // The compressed stream is read where it lies when it is one IDAT chunk (as every PNG written here is), else
            // from its chunks joined in a pooled buffer: no copy of it grows in a stream.
            fixed (byte* start = png)
            {
                Stream compressed;
                if (idat.Count == 1)
                {
                    compressed = new UnmanagedMemoryStream(start + idat[0].Offset, idat[0].Length);
                }
                else if (idatLength == 0)
                {
                    compressed = new MemoryStream([], writable: false);
                }
                else
                {
                    joined = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(idatLength, int.MaxValue));
                    var at = 0;
                    foreach (var (offset, length) in idat)
                    {
                        png.Slice(offset, length).CopyTo(joined.AsSpan(at));
                        at += length;
                    }

                    compressed = new MemoryStream(joined, 0, at, writable: false);
                }

                using var z = new ZLibStream(compressed, CompressionMode.Decompress);
                if (colorType == 0 && depth == 8 && interlace == 0)
                {
                    // The derivatives' own layout: inflate straight into rows of the right size (a pooled buffer) and unfilter.
                    var size = height * (width + 1);
                    var rows = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
                    try
                    {
                        if (z.ReadAtLeast(rows.AsSpan(0, size), size, throwOnEndOfStream: false) < size)
                        {
                            throw new PngException("PNG image data is shorter than its dimensions need (truncated PNG)");
                        }

                        return new GrayImage(width, height, UnfilterGray8(rows, width, height));
                    }
                    finally
                    {
                        System.Buffers.ArrayPool<byte>.Shared.Return(rows);
                    }
                }

                using var inflated = new MemoryStream();
                z.CopyTo(inflated);
                raw = inflated.ToArray();
            }
        }
        catch (InvalidDataException ex)
        {
            throw new PngException("PNG image data does not decompress (corrupt PNG)", ex);
        }
        finally
        {
            if (joined is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(joined);
            }
        }

        var bitsPerPixel = channels * depth;
        var samples = new ushort[width * height * channels];
        var rp = 0;
        if (interlace == 0)
        {
            rp = Unfilter(raw, rp, width, height, bitsPerPixel, channels, depth, samples, width, 0, 0, 1, 1);
        }
        else
        {
            int[] xs0 = [0, 4, 0, 2, 0, 1, 0], ys0 = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
            for (var p = 0; p < 7; p++)
            {
                var pw = (width - xs0[p] + dx[p] - 1) / dx[p];
                var ph = (height - ys0[p] + dy[p] - 1) / dy[p];
                if (pw <= 0 || ph <= 0)
                {
                    continue;
                }

                rp = Unfilter(raw, rp, pw, ph, bitsPerPixel, channels, depth, samples, width, xs0[p], ys0[p], dx[p], dy[p]);
            }
        }

        var max = depth == 16 ? 65535.0 : (1 << depth) - 1;
        var o = new byte[width * height];
        for (var i = 0; i < o.Length; i++)
        {
            var b = i * channels;
            double v;
            if (colorType == 3)
            {
                var idx = samples[b] * 3;
                if (idx + 2 >= palette!.Length)
                {
                    throw new PngException($"palette index {samples[b]} is outside the PLTE chunk");
                }

                v = (0.299 * palette[idx]) + (0.587 * palette[idx + 1]) + (0.114 * palette[idx + 2]);
            }
            else if (channels >= 3)
            {
                v = ((0.299 * samples[b]) + (0.587 * samples[b + 1]) + (0.114 * samples[b + 2])) * 255.0 / max;
            }
            else
            {
                v = samples[b] * 255.0 / max;
            }

            o[i] = (byte)Math.Clamp((int)Math.Round(v), 0, 255);
        }

        return new GrayImage(width, height, o);
    }

    /// <summary>8-bit gray, not interlaced: each row unfiltered into the output (Up and None, the encoder's, a vector add or a copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[] UnfilterGray8(byte[] raw, int width, int height)
    {
        var o = new byte[width * height];
        ReadOnlySpan<byte> prev = new byte[width];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (width + 1)];
            var src = raw.AsSpan((y * (width + 1)) + 1, width);
            var cur = o.AsSpan(y * width, width);
            switch (filter)
            {
                case 0:
                    src.CopyTo(cur);
                    break;
                case 2:
                    var x = 0;
                    for (; x + Vector<byte>.Count <= width; x += Vector<byte>.Count)
                    {
                        (new Vector<byte>(src[x..]) + new Vector<byte>(prev[x..])).CopyTo(cur[x..]);
                    }

                    for (; x < width; x++)
                    {
                        cur[x] = (byte)(src[x] + prev[x]);
                    }

                    break;
                case 1 or 3 or 4:
                    for (var i = 0; i < width; i++)
                    {
                        int a = i >= 1 ? cur[i - 1] : 0, b = prev[i], c = i >= 1 ? prev[i - 1] : 0;
                        cur[i] = filter switch
                        {
                            1 => (byte)(src[i] + a),
                            3 => (byte)(src[i] + ((a + b) >> 1)),
                            _ => (byte)(src[i] + Paeth(a, b, c)),
                        };
                    }

                    break;
                default:
                    throw new PngException($"PNG row {y} has unknown filter type {filter}");
            }

            prev = cur;
        }

        return o;
    }

    private static int Unfilter(byte[] raw, int rp, int w, int h, int bitsPerPixel, int channels, int depth, ushort[] samples, int fullWidth, int x0, int y0, int dx, int dy)
    {
        var stride = ((w * bitsPerPixel) + 7) / 8;
        var bpp = Math.Max(1, bitsPerPixel / 8);
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (var y = 0; y < h; y++)
        {
            if (rp + 1 + stride > raw.Length)
            {
                throw new PngException("PNG image data is shorter than its dimensions need (truncated PNG)");
            }

            var filter = raw[rp];
            Buffer.BlockCopy(raw, rp + 1, cur, 0, stride);
            rp += 1 + stride;
            for (var i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                cur[i] = filter switch
                {
                    0 => cur[i],
                    1 => (byte)(cur[i] + a),
                    2 => (byte)(cur[i] + b),
                    3 => (byte)(cur[i] + ((a + b) >> 1)),
                    4 => (byte)(cur[i] + Paeth(a, b, c)),
                    _ => throw new PngException($"PNG row {y} has unknown filter type {filter}"),
                };
            }

            var outY = y0 + (y * dy);
            for (var x = 0; x < w; x++)
            {
                var outX = x0 + (x * dx);
                var baseIndex = ((outY * fullWidth) + outX) * channels;
                for (var ch = 0; ch < channels; ch++)
                {
                    var sampleIndex = (x * channels) + ch;
                    ushort s;
                    if (depth == 16)
                    {
                        s = (ushort)((cur[sampleIndex * 2] << 8) | cur[(sampleIndex * 2) + 1]);
                    }
                    else if (depth == 8)
                    {
                        s = cur[sampleIndex];
                    }
                    else
                    {
                        var bit = sampleIndex * depth;
                        s = (ushort)((cur[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1));
                    }

                    samples[baseIndex + ch] = s;
                }
            }

            (prev, cur) = (cur, prev);
        }

        return rp;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Writes one chunk (length, type, data, CRC of type and data) at <paramref name="at"/>; returns where the next one goes.</summary>
    private static int WriteChunk(Span<byte> png, int at, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteInt32BigEndian(png[at..], data.Length);
        type.CopyTo(png[(at + 4)..]);
        data.CopyTo(png[(at + 8)..]);
        BinaryPrimitives.WriteUInt32BigEndian(png[(at + 8 + data.Length)..], Crc(png.Slice(at + 4, 4 + data.Length)));
        return at + 12 + data.Length;
    }

    /// <summary>The CRC-32 PNG uses (ISO 3309, as zlib's): System.IO.Hashing's, which folds with carry-less multiplies.</summary>
    private static uint Crc(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);
}
