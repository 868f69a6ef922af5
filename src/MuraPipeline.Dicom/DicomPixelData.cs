using System.Buffers.Binary;

namespace MuraPipeline.Dicom;

/// <summary>One frame of stored pixel values, samples interleaved (RGB as R,G,B per pixel).</summary>
public sealed record StoredFrame(int Width, int Height, int SamplesPerPixel, int[] Values);

/// <summary>The image pixel module of a data set, and decoding of its frames to stored values.</summary>
public sealed class DicomPixelData
{
    private readonly DicomDataset _dataset;
    private readonly string _transferSyntax;

    private DicomPixelData(DicomDataset dataset, string transferSyntax)
    {
        _dataset = dataset;
        _transferSyntax = transferSyntax;
        Rows = dataset.GetInt(DicomTag.Rows) ?? 0;
        Columns = dataset.GetInt(DicomTag.Columns) ?? 0;
        BitsAllocated = dataset.GetInt(DicomTag.BitsAllocated) ?? 0;
        BitsStored = dataset.GetInt(DicomTag.BitsStored) ?? BitsAllocated;
        HighBit = dataset.GetInt(DicomTag.HighBit) ?? (BitsStored - 1);
        PixelRepresentation = dataset.GetInt(DicomTag.PixelRepresentation) ?? 0;
        SamplesPerPixel = dataset.GetInt(DicomTag.SamplesPerPixel) ?? 1;
        PlanarConfiguration = dataset.GetInt(DicomTag.PlanarConfiguration) ?? 0;
        Frames = Math.Max(1, dataset.GetInt(DicomTag.NumberOfFrames) ?? 1);
        Photometric = dataset.GetString(DicomTag.PhotometricInterpretation) ?? (SamplesPerPixel == 1 ? "MONOCHROME2" : "RGB");
    }

    public int Rows { get; }

    public int Columns { get; }

    public int BitsAllocated { get; }

    public int BitsStored { get; }

    public int HighBit { get; }

    public int PixelRepresentation { get; }

    public int SamplesPerPixel { get; }

    public int PlanarConfiguration { get; }

    public int Frames { get; }

    public string Photometric { get; }

    /// <summary>The pixel module of <paramref name="file"/>; a clear error when the file is not an image.</summary>
    public static DicomPixelData From(DicomFile file)
    {
        var ds = file.Dataset;
        if (!ds.Contains(DicomTag.PixelData))
        {
            var sopClass = ds.GetString(DicomTag.SopClassUid) ?? file.Meta.GetString(DicomTag.MediaStorageSopClassUid);
            throw new DicomException($"not an image: the object has no Pixel Data (7FE0,0010); SOP class {DicomUids.Describe(sopClass)}");
        }

        var p = new DicomPixelData(ds, file.TransferSyntaxUid);
        if (p.Rows <= 0 || p.Columns <= 0)
        {
            throw new DicomException($"image has invalid dimensions: Rows={p.Rows}, Columns={p.Columns}");
        }

        if (p.BitsAllocated is not (1 or 8 or 16 or 32))
        {
            throw new DicomException($"Bits Allocated {p.BitsAllocated} is not supported (1, 8, 16 or 32)");
        }

        if (p.BitsStored < 1 || p.BitsStored > p.BitsAllocated)
        {
            throw new DicomException($"Bits Stored {p.BitsStored} is outside 1..Bits Allocated ({p.BitsAllocated})");
        }

        if (p.SamplesPerPixel is not (1 or 3))
        {
            throw new DicomException($"Samples per Pixel {p.SamplesPerPixel} is not supported (1 or 3)");
        }

        return p;
    }

    /// <summary>Decodes frame <paramref name="frame"/> to stored values: Bits Stored masked, sign-extended when signed, samples interleaved.</summary>
    public StoredFrame DecodeFrame(int frame = 0)
    {
        if (frame < 0 || frame >= Frames)
        {
            throw new DicomException($"frame {frame} does not exist; the image has {Frames}");
        }

        var element = _dataset.Get(DicomTag.PixelData)!;
        if (element.Fragments is not null)
        {
            throw new DicomException($"pixel data is compressed as {DicomUids.Describe(_transferSyntax)}, which this build cannot decode yet");
        }

        var pixels = Rows * Columns;
        var samples = pixels * SamplesPerPixel;
        var frameBytes = BitsAllocated == 1 ? (samples + 7) / 8 : samples * (BitsAllocated / 8);
        var data = element.Value.Span;
        long offset = BitsAllocated == 1 ? (long)frame * samples / 8 : (long)frame * frameBytes;
        if (offset + frameBytes > data.Length)
        {
            throw new DicomException($"pixel data is {data.Length} bytes, too short for frame {frame} of {Columns}x{Rows}x{SamplesPerPixel} at {BitsAllocated} bits ({offset + frameBytes} needed)");
        }

        var src = data.Slice((int)offset, frameBytes);
        var values = new int[samples];
        var shift = HighBit + 1 - BitsStored;
        var mask = BitsStored >= 32 ? -1 : (int)((1L << BitsStored) - 1);
        var signed = PixelRepresentation == 1;
        var signBit = 1 << (BitsStored - 1);
        switch (BitsAllocated)
        {
            case 1:
                for (var i = 0; i < samples; i++)
                {
                    var bit = (int)((frame * (long)samples + i) & 7);
                    values[i] = (data[(int)((frame * (long)samples + i) >> 3)] >> bit) & 1;
                }

                break;
            case 8:
                for (var i = 0; i < samples; i++)
                {
                    values[i] = Normalise(src[i] >> shift, mask, signed, signBit);
                }

                break;
            case 16:
                for (var i = 0; i < samples; i++)
                {
                    values[i] = Normalise(BinaryPrimitives.ReadUInt16LittleEndian(src[(i * 2)..]) >> shift, mask, signed, signBit);
                }

                break;
            default:
                for (var i = 0; i < samples; i++)
                {
                    var raw = BinaryPrimitives.ReadInt32LittleEndian(src[(i * 4)..]);
                    values[i] = BitsStored == 32 ? raw : Normalise((int)((uint)raw >> shift), mask, signed, signBit);
                }

                break;
        }

        if (SamplesPerPixel == 3 && PlanarConfiguration == 1)
        {
            values = Interleave(values, pixels);
        }

        return new StoredFrame(Columns, Rows, SamplesPerPixel, values);
    }

    private static int Normalise(int raw, int mask, bool signed, int signBit)
    {
        var v = raw & mask;
        return signed && (v & signBit) != 0 ? v - (signBit << 1) : v;
    }

    private static int[] Interleave(int[] planar, int pixels)
    {
        var o = new int[planar.Length];
        for (var i = 0; i < pixels; i++)
        {
            o[i * 3] = planar[i];
            o[(i * 3) + 1] = planar[pixels + i];
            o[(i * 3) + 2] = planar[(2 * pixels) + i];
        }

        return o;
    }
}
