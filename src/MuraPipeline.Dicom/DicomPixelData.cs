using System.Buffers.Binary;

namespace MuraPipeline.Dicom;

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

        if (p.Photometric is not ("MONOCHROME1" or "MONOCHROME2" or "RGB" or "PALETTE COLOR" or "YBR_FULL" or "YBR_FULL_422" or "YBR_PARTIAL_422" or "YBR_PARTIAL_420" or "YBR_ICT" or "YBR_RCT"))
        {
            throw new DicomException($"Photometric Interpretation '{p.Photometric}' is not one PS3.3 C.7.6.3.1.2 defines");
        }

        if (p.HighBit < 0 || p.HighBit >= p.BitsAllocated)
        {
            throw new DicomException($"High Bit {p.HighBit} is outside Bits Allocated ({p.BitsAllocated})");
        }

        if (p.PixelRepresentation is not (0 or 1))
        {
            throw new DicomException($"Pixel Representation {p.PixelRepresentation} is neither 0 (unsigned) nor 1 (signed)");
        }

        // One frame must fit an array, and the frame count must be sane, whatever a damaged header claims.
        var frameBytes = (long)p.Rows * p.Columns * p.SamplesPerPixel * Math.Max(1, p.BitsAllocated / 8);
        if (frameBytes > int.MaxValue / 4 || p.Frames > 1_000_000)
        {
            throw new DicomException($"image of {p.Columns}x{p.Rows}x{p.SamplesPerPixel} at {p.BitsAllocated} bits in {p.Frames} frame(s) is larger than this reader accepts");
        }

        return p;
    }

    /// <summary>True when the pixel data is encapsulated (compressed), false when native.</summary>
    public bool IsEncapsulated => _dataset.Get(DicomTag.PixelData)?.Fragments is not null;

    /// <summary>Decodes frame <paramref name="frame"/> to stored values: Bits Stored masked, sign-extended when signed, samples interleaved.</summary>
    public StoredFrame DecodeFrame(int frame = 0)
    {
        CheckFrame(frame);
        var element = _dataset.Get(DicomTag.PixelData)!;
        var samples = Rows * Columns * SamplesPerPixel;
        if (element.Fragments is null && BitsAllocated == 1)
        {
            var data = element.Value.Span;
            var needBits = (frame + 1) * (long)samples;
            if ((needBits + 7) / 8 > data.Length)
            {
                throw new DicomException($"pixel data is {data.Length} bytes, too short for frame {frame} of {Columns}x{Rows} at 1 bit");
            }

            var bitsOut = new int[samples];
            for (var i = 0; i < samples; i++)
            {
                var at = (frame * (long)samples) + i;
                bitsOut[i] = (data[(int)(at >> 3)] >> (int)(at & 7)) & 1;
            }

            return new StoredFrame(Columns, Rows, SamplesPerPixel, bitsOut);
        }

        var bytes = FrameBytes(frame, out var planar, out var subsampled);
        return subsampled ? Expand422(bytes.Span) : ToStored(bytes.Span, planar);
    }

    /// <summary>
    /// Frame <paramref name="frame"/> of a one-sample 16-bit image as little-endian words, Bits Stored not yet masked
    /// out: a slice of the pixel data when it is native (nothing copied), the codec's output when compressed. Null for
    /// any other layout (colour, 1, 8 or 32 bits, a High Bit that does not hold Bits Stored), which
    /// <see cref="DecodeFrame"/> reads.
    /// </summary>
    public WordFrame? DecodeWords(int frame = 0)
    {
        CheckFrame(frame);
        if (SamplesPerPixel != 1 || BitsAllocated != 16 || HighBit > 15 || HighBit + 1 < BitsStored)
        {
            return null;
        }

        return new WordFrame(Columns, Rows, FrameBytes(frame, out _, out _), BitsStored, HighBit, PixelRepresentation == 1);
    }

    /// <summary>
    /// Frame <paramref name="frame"/> as <see cref="DecodeFrame(int)"/> gives it, but an 8-bit greyscale JPEG (baseline
    /// or extended) is scaled down by its IDCT while it decodes, to the smallest factor whose long side is still at
    /// least <paramref name="minLongSide"/>: the frame's size is then the scaled one. Any other syntax decodes in full.
    /// </summary>
    public StoredFrame DecodeFrame(int frame, int minLongSide)
    {
        CheckFrame(frame);
        if (minLongSide <= 0 || _transferSyntax is not (DicomUids.JpegBaseline or DicomUids.JpegExtended) || !IsEncapsulated)
        {
            return DecodeFrame(frame);
        }

        var compressed = FrameBytes(_dataset.Get(DicomTag.PixelData)!.Fragments!, frame);
        if (!IsTurboJpeg(compressed))
        {
            return DecodeFrame(frame);
        }

        var samples = Codecs.TurboJpegCodec.DecodeGray(compressed, minLongSide, out var width, out var height);
        var values = new int[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            values[i] = samples[i];
        }

        return new StoredFrame(width, height, 1, values);
    }

    /// <summary>Whether a JPEG frame is one TurboJPEG decodes here: one 8-bit component in 8-bit words, the size the data set says.</summary>
    private bool IsTurboJpeg(byte[] compressed)
    {
        if (SamplesPerPixel != 1 || BitsAllocated != 8 || BitsStored != 8 || PixelRepresentation != 0)
        {
            return false;
        }

        Codecs.CodeStreamHeader.Check(compressed, Rows, Columns, SamplesPerPixel, BitsAllocated);
        return Codecs.CodeStreamHeader.Read(compressed).Precision == 8;
    }

    private void CheckFrame(int frame)
    {
        if (frame < 0 || frame >= Frames)
        {
            throw new DicomException($"frame {frame} does not exist; the image has {Frames}");
        }
    }

    /// <summary>The little-endian bytes of one frame (8, 16 or 32 bits allocated): sliced from native data, decoded from encapsulated.</summary>
    private ReadOnlyMemory<byte> FrameBytes(int frame, out bool planar, out bool subsampled)
    {
        var element = _dataset.Get(DicomTag.PixelData)!;
        var pixels = Rows * Columns;
        var samples = pixels * SamplesPerPixel;
        if (element.Fragments is { } fragments)
        {
            subsampled = false;
            if (BitsAllocated is not (8 or 16 or 32))
            {
                throw new DicomException($"compressed pixel data with Bits Allocated {BitsAllocated} is not supported");
            }

            var compressed = FrameBytes(fragments, frame);
            var decoded = DecodeCompressed(compressed, out planar);
            var expected = samples * (BitsAllocated / 8);
            if (decoded.Length < expected)
            {
                throw new DicomException($"the {DicomUids.Describe(_transferSyntax)} frame decoded to {decoded.Length} bytes; {Columns}x{Rows}x{SamplesPerPixel} at {BitsAllocated} bits needs {expected}");
            }

            return decoded.AsMemory(0, expected);
        }

        var data = element.Value;
        subsampled = Photometric is "YBR_FULL_422" && SamplesPerPixel == 3 && BitsAllocated == 8;
        planar = PlanarConfiguration == 1;
        var frameBytes = subsampled ? pixels * 2 : samples * (BitsAllocated / 8);
        var offset = (long)frame * frameBytes;
        if (offset + frameBytes > data.Length)
        {
            throw new DicomException($"pixel data is {data.Length} bytes, too short for frame {frame} of {Columns}x{Rows}x{SamplesPerPixel} at {BitsAllocated} bits ({offset + frameBytes} needed)");
        }

        return data.Slice((int)offset, frameBytes);
    }

    /// <summary>Native little-endian bytes of one frame to stored values.</summary>
    private StoredFrame ToStored(ReadOnlySpan<byte> src, bool planar)
    {
        var pixels = Rows * Columns;
        var samples = pixels * SamplesPerPixel;
        var values = new int[samples];
        var shift = HighBit + 1 - BitsStored;
        var mask = BitsStored >= 32 ? -1 : (int)((1L << BitsStored) - 1);
        var signed = PixelRepresentation == 1;
        var signBit = 1 << (BitsStored - 1);
        switch (BitsAllocated)
        {
            case 8:
                for (var i = 0; i < samples; i++)
                {
                    values[i] = Normalise(src[i] >> shift, mask, signed, signBit);
                }

                break;
            case 16:
                var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(src);
                if (shift == 0 && !signed && BitsStored == 16)
                {
                    for (var i = 0; i < samples; i++)
                    {
                        values[i] = words[i];
                    }
                }
                else
                {
                    for (var i = 0; i < samples; i++)
                    {
                        values[i] = Normalise(words[i] >> shift, mask, signed, signBit);
                    }
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

        if (SamplesPerPixel == 3 && planar)
        {
            values = Interleave(values, pixels);
        }

        return new StoredFrame(Columns, Rows, SamplesPerPixel, values);
    }

    /// <summary>Native YBR_FULL_422: each pair of pixels is Y1 Y2 Cb Cr; both pixels take the pair's chroma.</summary>
    private StoredFrame Expand422(ReadOnlySpan<byte> src)
    {
        var values = new int[Rows * Columns * 3];
        for (int p = 0, s = 0; p + 1 < Rows * Columns; p += 2, s += 4)
        {
            values[p * 3] = src[s];
            values[(p * 3) + 1] = src[s + 2];
            values[(p * 3) + 2] = src[s + 3];
            values[(p * 3) + 3] = src[s + 1];
            values[(p * 3) + 4] = src[s + 2];
            values[(p * 3) + 5] = src[s + 3];
        }

        return new StoredFrame(Columns, Rows, 3, values);
    }

    private byte[] DecodeCompressed(byte[] compressed, out bool planar)
    {
        planar = false;
        switch (_transferSyntax)
        {
            case DicomUids.RleLossless:
                return Codecs.RleDecoder.Decode(compressed, Rows, Columns, SamplesPerPixel, BitsAllocated);
            case DicomUids.JpegLossless or DicomUids.JpegLosslessSv1:
                var bytes = Codecs.JpegLosslessDecoder.Decode(compressed, BitsAllocated, out var w, out var h, out var c);
                if (w != Columns || h != Rows || c != SamplesPerPixel)
                {
                    throw new DicomException($"the JPEG lossless frame is {w}x{h}x{c}; the data set says {Columns}x{Rows}x{SamplesPerPixel}");
                }

                return bytes;
            case DicomUids.JpegBaseline or DicomUids.JpegExtended when IsTurboJpeg(compressed):
                return Codecs.TurboJpegCodec.DecodeGray(compressed, 0, out _, out _);
            case DicomUids.JpegBaseline or DicomUids.JpegExtended or DicomUids.JpegLsLossless or DicomUids.JpegLsNearLossless:
                Codecs.CodeStreamHeader.Check(compressed, Rows, Columns, SamplesPerPixel, BitsAllocated);
                return DecodeWithGdcm(compressed, out planar);
            case var ts when DicomUids.IsJpeg2000Family(ts):
                return ToNativeBytes(DecodeJ2k(compressed, 0));
            default:
                throw new DicomException($"pixel data is encapsulated in {DicomUids.Describe(_transferSyntax)}, which this build cannot decode");
        }
    }

    /// <summary>
    /// A JPEG 2000 or HTJ2K frame through OpenJPEG at <paramref name="reduction"/>. At full resolution its size and
    /// components must be the data set's; the code stream's own SIZ is not otherwise trusted (real files, pydicom's
    /// JPEG2000-embedded-sequence-delimiter among them, carry SIZ values OpenJPEG decodes through).
    /// </summary>
    private Codecs.J2kImage DecodeJ2k(byte[] compressed, int reduction)
    {
        var image = Codecs.OpenJpegCodec.Decode(compressed, reduction);
        var (w, h) = ((Columns + (1 << reduction) - 1) >> reduction, (Rows + (1 << reduction) - 1) >> reduction);
        if (image.Width != w || image.Height != h || image.Components != SamplesPerPixel)
        {
            throw new DicomException($"the {DicomUids.Describe(_transferSyntax)} frame is {image.Width << reduction}x{image.Height << reduction}x{image.Components}; the data set says {Columns}x{Rows}x{SamplesPerPixel}");
        }

        return image;
    }

    /// <summary>Decoded samples as the native little-endian bytes of this data set's Bits Allocated, each at its High Bit.</summary>
    private byte[] ToNativeBytes(Codecs.J2kImage image)
    {
        var shift = HighBit + 1 - BitsStored;
        var samples = image.Samples;
        var bytes = new byte[samples.Length * (BitsAllocated / 8)];
        switch (BitsAllocated)
        {
            case 8:
                for (var i = 0; i < samples.Length; i++)
                {
                    bytes[i] = (byte)(samples[i] << shift);
                }

                break;
            case 16:
                var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                for (var i = 0; i < samples.Length; i++)
                {
                    words[i] = (ushort)(samples[i] << shift);
                }

                break;
            default:
                for (var i = 0; i < samples.Length; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), samples[i] << shift);
                }

                break;
        }

        return bytes;
    }

    /// <summary>
    /// Frame <paramref name="frame"/> as <see cref="DecodeWords(int)"/> gives it, but a JPEG 2000 or HTJ2K frame is
    /// decoded only down to the smallest resolution whose long side is still at least <paramref name="minLongSide"/>
    /// (OpenJPEG skips the finer wavelet levels): the frame's size is then the reduced one. Any other syntax, or a
    /// code stream without levels to spare, decodes in full.
    /// </summary>
    public WordFrame? DecodeWords(int frame, int minLongSide)
    {
        CheckFrame(frame);
        if (minLongSide <= 0 || !DicomUids.IsJpeg2000Family(_transferSyntax) || !IsEncapsulated || SamplesPerPixel != 1 || BitsAllocated != 16 || HighBit > 15 || HighBit + 1 < BitsStored)
        {
            return DecodeWords(frame);
        }

        var compressed = FrameBytes(_dataset.Get(DicomTag.PixelData)!.Fragments!, frame);
        var levels = Codecs.OpenJpegCodec.DecompositionLevels(compressed);
        var reduction = Codecs.OpenJpegCodec.ReductionFor(Columns, Rows, minLongSide, levels);
        if (reduction == 0)
        {
            return DecodeWords(frame);
        }

        // A reduced band can overshoot the stored range (the 5/3 low-pass has negative taps), and a code stream may
        // carry more bits than Bits Stored (gdcmconv writes 16 for 12), where OpenJPEG clamps only to its own: the
        // values are clamped to what the stored bits hold, as the band made from an uncompressed frame is. Unclamped,
        // an overshoot past 4095 lost its high bits and turned a bright edge black.
        var image = DecodeJ2k(compressed, reduction);
        var (min, max) = PixelRepresentation == 1 ? (-(1 << (BitsStored - 1)), (1 << (BitsStored - 1)) - 1) : (0, (1 << BitsStored) - 1);
        var samples = image.Samples;
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = Math.Clamp(samples[i], min, max);
        }

        return new WordFrame(image.Width, image.Height, ToNativeBytes(image), BitsStored, HighBit, PixelRepresentation == 1);
    }

    private byte[] DecodeWithGdcm(byte[] compressed, out bool planar)
    {
        // GDCM gets a canonical header written from the values this class has validated, never the file's own elements:
        // a wrong VR or value there trips assertions inside GDCM that abort the whole process (found by FileFuzzTests).
        var single = new DicomDataset()
            .AddString(DicomTag.SopClassUid, "UI", DicomUids.SecondaryCaptureImageStorage)
            .AddString(DicomTag.SopInstanceUid, "UI", "2.25.1")
            .AddUInt16(DicomTag.SamplesPerPixel, (ushort)SamplesPerPixel)
            .AddString(DicomTag.PhotometricInterpretation, "CS", Photometric)
            .AddUInt16(DicomTag.Rows, (ushort)Rows)
            .AddUInt16(DicomTag.Columns, (ushort)Columns)
            .AddUInt16(DicomTag.BitsAllocated, (ushort)BitsAllocated)
            .AddUInt16(DicomTag.BitsStored, (ushort)BitsStored)
            .AddUInt16(DicomTag.HighBit, (ushort)(BitsStored - 1))
            .AddUInt16(DicomTag.PixelRepresentation, (ushort)PixelRepresentation);
        if (SamplesPerPixel > 1)
        {
            single.AddUInt16(DicomTag.PlanarConfiguration, (ushort)PlanarConfiguration);
        }

        var pixelVr = BitsAllocated > 8 ? "OW" : "OB";
        single.Set(new DicomElement(DicomTag.PixelData, pixelVr, ReadOnlyMemory<byte>.Empty) { Fragments = [ReadOnlyMemory<byte>.Empty, compressed] });
        var path = Path.Combine(Path.GetTempPath(), $"mura-gdcm-{Guid.NewGuid():N}.dcm");
        try
        {
            new DicomFile(DicomWriter.CreateMeta(single, _transferSyntax), single).Save(path);
            return Codecs.GdcmCodec.DecodeFile(path, out planar);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The compressed bytes of frame <paramref name="frame"/> as stored (a JPEG or JPEG 2000 code stream); null when the pixel data is not encapsulated.</summary>
    public byte[]? CompressedFrame(int frame = 0) =>
        _dataset.Get(DicomTag.PixelData)?.Fragments is { } fragments ? FrameBytes(fragments, frame) : null;

    /// <summary>The compressed bytes of one frame, found through the basic offset table, one fragment per frame, or JPEG start markers.</summary>
    private byte[] FrameBytes(IReadOnlyList<ReadOnlyMemory<byte>> fragments, int frame)
    {
        var data = fragments.Skip(1).ToList();
        if (data.Count == 0)
        {
            throw new DicomException("encapsulated pixel data has no fragments");
        }

        List<ReadOnlyMemory<byte>> mine;
        var bot = fragments[0].Span;
        if (Frames == 1)
        {
            mine = data;
        }
        else if (bot.Length >= 4L * Frames)
        {
            var start = BinaryPrimitives.ReadUInt32LittleEndian(bot[(frame * 4)..]);
            var stop = frame + 1 < Frames ? BinaryPrimitives.ReadUInt32LittleEndian(bot[((frame + 1) * 4)..]) : uint.MaxValue;
            mine = [];
            long at = 0;
            foreach (var f in data)
            {
                if (at >= start && at < stop)
                {
                    mine.Add(f);
                }

                at += 8 + f.Length;
            }
        }
        else if (data.Count == Frames)
        {
            mine = [data[frame]];
        }
        else
        {
            // No offset table and more fragments than frames: a frame starts at each fragment that opens with a JPEG SOI or a J2K SOC marker.
            var starts = Enumerable.Range(0, data.Count).Where(i => data[i].Length >= 2 && data[i].Span[0] == 0xFF && data[i].Span[1] is 0xD8 or 0x4F).ToList();
            if (starts.Count != Frames)
            {
                throw new DicomException($"cannot tell the {Frames} frames apart in {data.Count} fragments: no basic offset table and {starts.Count} frame start markers");
            }

            var end = frame + 1 < Frames ? starts[frame + 1] : data.Count;
            mine = data.GetRange(starts[frame], end - starts[frame]);
        }

        if (mine.Count == 0)
        {
            throw new DicomException($"the basic offset table points frame {frame} at no fragment");
        }

        var total = mine.Sum(f => f.Length);
        var o = new byte[total];
        var p = 0;
        foreach (var f in mine)
        {
            f.Span.CopyTo(o.AsSpan(p));
            p += f.Length;
        }

        return o;
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
