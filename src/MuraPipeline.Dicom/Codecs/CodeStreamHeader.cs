using System.Buffers.Binary;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>
/// The frame header of a JPEG (T.81), JPEG-LS (T.87) or JPEG 2000 (T.800) code stream, read before GDCM sees it (the
/// JPEG and JPEG-LS ones are checked; see <see cref="DicomPixelData"/> for JPEG 2000): GDCM
/// asserts (and so aborts the process) when a stream decodes to another size than the data set states, so a stream
/// whose own dimensions, components or precision disagree with the data set is refused here, with both sizes named.
/// </summary>
public static class CodeStreamHeader
{
    public readonly record struct Frame(int Width, int Height, int Components, int Precision);

    /// <summary>The stream's frame header; a DicomException when there is none or it cannot be read.</summary>
    public static Frame Read(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0x4F && data[2] == 0xFF && data[3] == 0x51)
        {
            return Siz(data[4..]);
        }

        // A JP2 file (signature box first) rather than a bare code stream: the code stream starts inside its jp2c box.
        if (data.Length >= 12 && data[4..12].SequenceEqual((ReadOnlySpan<byte>)[0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]))
        {
            var start = data.IndexOf((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]);
            return start >= 0 ? Siz(data[(start + 4)..]) : throw new DicomException("the JP2 file holds no JPEG 2000 code stream");
        }

        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            throw new DicomException("the compressed frame starts with neither a JPEG start-of-image (FFD8) nor a JPEG 2000 start-of-codestream (FF4F) marker");
        }

        var pos = 2;
        while (pos + 4 <= data.Length)
        {
            if (data[pos] != 0xFF)
            {
                throw new DicomException($"the JPEG stream has no marker at byte {pos} before its frame header");
            }

            var marker = data[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (length < 2 || pos + 2 + length > data.Length)
            {
                throw new DicomException($"the JPEG segment 0xFF{marker:X2} at byte {pos} runs past the stream");
            }

            // SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC); SOF55 (F7) is JPEG-LS's.
            if ((marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC)) || marker == 0xF7)
            {
                if (length < 8)
                {
                    throw new DicomException("the JPEG frame header is too short");
                }

                var seg = data.Slice(pos + 4, length - 2);
                return new Frame(BinaryPrimitives.ReadUInt16BigEndian(seg[3..]), BinaryPrimitives.ReadUInt16BigEndian(seg[1..]), seg[5], seg[0]);
            }

            if (marker == 0xDA)
            {
                break;
            }

            pos += 2 + length;
        }

        throw new DicomException("the JPEG stream has no frame header before its scan");
    }

    /// <summary>Refuses a stream whose frame header disagrees with the data set's Rows, Columns, Samples per Pixel and Bits Allocated.</summary>
    public static void Check(ReadOnlySpan<byte> data, int rows, int columns, int samples, int bitsAllocated)
    {
        var f = Read(data);
        if (f.Width != columns || f.Height != rows || f.Components != samples || f.Precision < 1 || f.Precision > bitsAllocated)
        {
            throw new DicomException($"the compressed frame is {f.Width}x{f.Height}x{f.Components} at {f.Precision} bits; the data set says {columns}x{rows}x{samples} in {bitsAllocated}-bit words");
        }
    }

    private static Frame Siz(ReadOnlySpan<byte> siz)
    {
        // Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz, XTOsiz, YTOsiz, Csiz, then Ssiz per component.
        if (siz.Length < 41)
        {
            throw new DicomException("the JPEG 2000 SIZ segment is too short");
        }

        var width = (long)BinaryPrimitives.ReadUInt32BigEndian(siz[4..]) - BinaryPrimitives.ReadUInt32BigEndian(siz[12..]);
        var height = (long)BinaryPrimitives.ReadUInt32BigEndian(siz[8..]) - BinaryPrimitives.ReadUInt32BigEndian(siz[16..]);
        var components = BinaryPrimitives.ReadUInt16BigEndian(siz[36..]);
        if (width is <= 0 or > ushort.MaxValue || height is <= 0 or > ushort.MaxValue || components == 0 || siz.Length < 38 + (3 * components))
        {
            throw new DicomException($"the JPEG 2000 SIZ segment is invalid: {width}x{height}, {components} component(s)");
        }

        // Every component must have the same precision (Ssiz: bit 7 signedness, bits 0..6 precision minus one) and no subsampling.
        var precision = (siz[38] & 0x7F) + 1;
        for (var c = 0; c < components; c++)
        {
            var s = siz.Slice(38 + (3 * c), 3);
            if ((s[0] & 0x7F) + 1 != precision || s[1] != 1 || s[2] != 1)
            {
                throw new DicomException($"the JPEG 2000 component {c} differs from the first in precision or is subsampled");
            }
        }

        return new Frame((int)width, (int)height, components, precision);
    }
}
