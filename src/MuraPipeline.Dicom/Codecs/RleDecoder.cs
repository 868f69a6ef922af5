using System.Buffers.Binary;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>RLE Lossless (PS3.5 Annex G): one PackBits segment per byte plane of each sample, most significant byte first.</summary>
public static class RleDecoder
{
    /// <summary>Decodes one frame to native little-endian bytes, samples interleaved.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> frame, int rows, int columns, int samplesPerPixel, int bitsAllocated)
    {
        if (frame.Length < 64)
        {
            throw new DicomException($"RLE frame is {frame.Length} bytes, shorter than its 64-byte header");
        }

        var bytesPerSample = bitsAllocated / 8;
        var segments = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame);
        var expected = bytesPerSample * samplesPerPixel;
        if (segments != expected)
        {
            throw new DicomException($"RLE frame has {segments} segments; {samplesPerPixel} sample(s) of {bitsAllocated} bits need {expected}");
        }

        var pixels = rows * columns;
        var output = new byte[pixels * expected];
        var plane = new byte[pixels];
        for (var s = 0; s < segments; s++)
        {
            var start = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame[(4 + (s * 4))..]);
            var end = s + 1 < segments ? (int)BinaryPrimitives.ReadUInt32LittleEndian(frame[(8 + (s * 4))..]) : frame.Length;
            if (start < 64 || start > frame.Length || end < start || end > frame.Length)
            {
                throw new DicomException($"RLE segment {s + 1} has offsets {start}..{end}, outside the {frame.Length}-byte frame");
            }

            UnpackBits(frame[start..end], plane, s + 1);
            var sample = s / bytesPerSample;
            var byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
            var stride = expected;
            var o = (sample * bytesPerSample) + byteInSample;
            for (var i = 0; i < pixels; i++, o += stride)
            {
                output[o] = plane[i];
            }
        }

        return output;
    }

    private static void UnpackBits(ReadOnlySpan<byte> src, Span<byte> dst, int segment)
    {
        var o = 0;
        var i = 0;
        while (o < dst.Length && i < src.Length)
        {
            var n = (sbyte)src[i++];
            if (n >= 0)
            {
                var count = n + 1;
                if (i + count > src.Length || o + count > dst.Length)
                {
                    throw new DicomException($"RLE segment {segment}: a literal run of {count} bytes overruns the segment or the frame");
                }

                src.Slice(i, count).CopyTo(dst[o..]);
                i += count;
                o += count;
            }
            else if (n != -128)
            {
                var count = 1 - n;
                if (i >= src.Length || o + count > dst.Length)
                {
                    throw new DicomException($"RLE segment {segment}: a repeat run of {count} bytes overruns the segment or the frame");
                }

                dst.Slice(o, count).Fill(src[i++]);
                o += count;
            }
        }

        if (o < dst.Length)
        {
            throw new DicomException($"RLE segment {segment} ends after {o} of {dst.Length} bytes");
        }
    }
}
