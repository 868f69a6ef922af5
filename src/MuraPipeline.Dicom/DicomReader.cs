using System.Buffers.Binary;

namespace MuraPipeline.Dicom;

/// <summary>
/// Parses Part-10 files (and bare data sets) in implicit and explicit VR little endian, explicit VR big endian and
/// deflated explicit VR little endian. Values are slices of the input buffer, so reading a large little-endian image
/// copies its pixels once, at most. Big-endian values are turned little endian as they are read (numeric VRs, and
/// the pixel data by its Bits Allocated), so everything downstream sees one byte order.
/// </summary>
public static class DicomReader
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private const int MaxSequenceDepth = 32;

    public static DicomFile Read(byte[] bytes, bool stopAtPixelData) => Read(bytes.AsMemory(), stopAtPixelData);

    /// <summary>Parses <paramref name="data"/>; the values of the result are slices of it, valid as long as it is.</summary>
    public static DicomFile Read(ReadOnlyMemory<byte> data, bool stopAtPixelData)
    {
        try
        {
            return ReadCore(data, stopAtPixelData);
        }
        catch (DicomTruncatedException ex) when (!stopAtPixelData)
        {
            throw new DicomException($"file is truncated: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// A bare data set in a known transfer syntax: a DIMSE identifier (C-FIND, C-MOVE, C-GET) or a data set received
    /// on a presentation context. A malformed one is a <see cref="DicomException"/>, never a crash.
    /// </summary>
    public static DicomDataset ReadDataset(ReadOnlyMemory<byte> data, string transferSyntax)
    {
        if (transferSyntax == DicomUids.DeflatedExplicitVrLittleEndian)
        {
            data = Inflate(data, tolerateTruncation: false);
        }

        var dataset = new DicomDataset();
        try
        {
            new Parser(data, transferSyntax != DicomUids.ImplicitVrLittleEndian, stopAtPixelData: false, transferSyntax == DicomUids.ExplicitVrBigEndian)
                .ParseDataset(0, data.Length, dataset, depth: 0, untilItemDelimiter: false);
        }
        catch (DicomTruncatedException ex)
        {
            throw new DicomException($"data set is truncated: {ex.Message}", ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new DicomException($"data set is malformed: {ex.Message}", ex);
        }

        return dataset;
    }

    /// <summary>Where the data set starts in a Part-10 file: after the preamble, "DICM" and the file meta group.</summary>
    public static int DataSetOffset(byte[] bytes)
    {
        if (bytes.Length < 132 || bytes[128] != 'D' || bytes[129] != 'I' || bytes[130] != 'C' || bytes[131] != 'M')
        {
            throw new DicomException("not a Part-10 file: no 'DICM' marker at byte 128");
        }

        return new Parser(bytes, explicitVr: true, stopAtPixelData: false).ParseMeta(132, new DicomDataset());
    }

    /// <summary>
    /// The attributes before the pixel data, from <paramref name="head"/>, the start of a file. <paramref name="complete"/>
    /// says whether they are all there: the parse reached the pixel data. A head that ends on an element's boundary
    /// before that is not complete, though it parses.
    /// </summary>
    internal static DicomFile ReadHeader(ReadOnlyMemory<byte> head, out bool complete) =>
        ReadCore(head, stopAtPixelData: true, out complete);

    private static DicomFile ReadCore(ReadOnlyMemory<byte> memory, bool stopAtPixelData) => ReadCore(memory, stopAtPixelData, out _);

    /// <summary>The file; <paramref name="reachedPixelData"/> says whether the top-level parse stopped at the pixel data.</summary>
    private static DicomFile ReadCore(ReadOnlyMemory<byte> memory, bool stopAtPixelData, out bool reachedPixelData)
    {
        var bytes = memory.Span;
        if (bytes.Length == 0)
        {
            throw new DicomException("file is empty (0 bytes)");
        }

        int pos;
        var meta = new DicomDataset();
        string? bareSyntax = null;
        if (bytes.Length >= 132 && bytes[128] == 'D' && bytes[129] == 'I' && bytes[130] == 'C' && bytes[131] == 'M')
        {
            pos = 132;
            var parser = new Parser(memory, explicitVr: true, stopAtPixelData: false);
            pos = parser.ParseMeta(pos, meta);
        }
        else if (LooksLikeBareDataset(bytes))
        {
            pos = 0;
            bareSyntax = GuessBareSyntax(bytes);
        }
        else
        {
            throw new DicomException("not a DICOM file: no 'DICM' marker at byte 128 and no recognisable data set at the start");
        }

        var ts = meta.GetString(DicomTag.TransferSyntaxUid) ?? bareSyntax ?? DicomUids.ImplicitVrLittleEndian;
        // Every standard syntax but implicit VR little endian (the compressed ones included) encodes the data set as explicit VR.
        var explicitVr = ts != DicomUids.ImplicitVrLittleEndian;
        var bigEndian = ts == DicomUids.ExplicitVrBigEndian;
        var end = bytes.Length;
        if (ts == DicomUids.DeflatedExplicitVrLittleEndian)
        {
            memory = Inflate(memory[pos..], tolerateTruncation: stopAtPixelData);
            pos = 0;
            end = memory.Length;
        }

        if (!bigEndian && end - pos >= 8)
        {
            // Some writers label an implicit data set explicit, or the other way round; dcmtk and pydicom read what is
            // there, and so do we: the first element's bytes 4-5 are a known VR exactly when the data set is explicit.
            var head = memory.Span;
            var looksExplicit = DicomVr.IsKnown(new string([(char)head[pos + 4], (char)head[pos + 5]]));
            explicitVr = looksExplicit;
        }

        var dataset = new DicomDataset();
        var stoppedAt = new Parser(memory, explicitVr, stopAtPixelData, bigEndian).ParseDataset(pos, end, dataset, depth: 0, untilItemDelimiter: false);
        var b = memory.Span;
        reachedPixelData = stoppedAt + 4 <= b.Length
            && (b[stoppedAt], b[stoppedAt + 1], b[stoppedAt + 2], b[stoppedAt + 3]) is (0xE0, 0x7F, 0x10, 0x00) or (0x7F, 0xE0, 0x00, 0x10);
        return new DicomFile(meta, dataset, bareSyntax);
    }

    /// <summary>The data set of a deflated file: raw deflate (RFC 1951) from the end of the file meta to the end of the file.</summary>
    private static ReadOnlyMemory<byte> Inflate(ReadOnlyMemory<byte> deflated, bool tolerateTruncation)
    {
        using var input = new MemoryStream(deflated.ToArray(), writable: false);
        using var inflater = new System.IO.Compression.DeflateStream(input, System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream(Math.Max(4096, deflated.Length * 3));
        try
        {
            inflater.CopyTo(output);
        }
        catch (InvalidDataException ex) when (!tolerateTruncation)
        {
            throw new DicomException($"the deflated data set is corrupt: {ex.Message}", ex);
        }
        catch (InvalidDataException)
        {
            // Reading a header from the start of a file: what inflated before the cut is all the parser needs.
        }

        return new ReadOnlyMemory<byte>(output.GetBuffer(), 0, (int)output.Length);
    }

    private static bool LooksLikeBareDataset(ReadOnlySpan<byte> b)
    {
        if (b.Length < 8)
        {
            return false;
        }

        var group = BinaryPrimitives.ReadUInt16LittleEndian(b);
        return group is 0x0002 or 0x0008 or 0x0200 or 0x0800;
    }

    private static string GuessBareSyntax(ReadOnlySpan<byte> b)
    {
        var explicitVr = char.IsAsciiLetterUpper((char)b[4]) && char.IsAsciiLetterUpper((char)b[5]);
        if (BinaryPrimitives.ReadUInt16LittleEndian(b) is 0x0200 or 0x0800)
        {
            // Group 0002 or 0008 read the wrong way round: a big-endian data set, which the standard only has as explicit VR.
            return DicomUids.ExplicitVrBigEndian;
        }

        return explicitVr ? DicomUids.ExplicitVrLittleEndian : DicomUids.ImplicitVrLittleEndian;
    }

    private readonly struct Parser(ReadOnlyMemory<byte> data, bool explicitVr, bool stopAtPixelData, bool bigEndian = false)
    {
        private ReadOnlySpan<byte> Span => data.Span;

        private ushort U16(int pos) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(Span[pos..]) : BinaryPrimitives.ReadUInt16LittleEndian(Span[pos..]);

        private uint U32(int pos) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(Span[pos..]) : BinaryPrimitives.ReadUInt32LittleEndian(Span[pos..]);

        public int ParseMeta(int pos, DicomDataset meta)
        {
            // File meta is always explicit VR little endian; it is the run of group 0002 elements.
            var end = data.Length;
            while (pos + 8 <= end && BinaryPrimitives.ReadUInt16LittleEndian(Span[pos..]) == 0x0002)
            {
                pos = ReadElement(pos, end, meta, depth: 0, out _, explicitOverride: true);
            }

            return pos;
        }

        /// <summary>Parses elements from <paramref name="pos"/> up to <paramref name="end"/>; returns the position after the last one.</summary>
        public int ParseDataset(int pos, int end, DicomDataset target, int depth, bool untilItemDelimiter)
        {
            while (pos < end)
            {
                if (end - pos < 8)
                {
                    // Trailing padding shorter than a header is tolerated at the top level only.
                    if (depth == 0 && IsAllZero(Span[pos..end]))
                    {
                        return end;
                    }

                    throw new DicomTruncatedException($"{end - pos} stray bytes at offset {pos}, too few for an element header");
                }

                var group = U16(pos);
                var element = U16(pos + 2);
                if (group == 0xFFFE && element == 0xE00D)
                {
                    if (!untilItemDelimiter)
                    {
                        throw new DicomException($"unexpected item delimiter at offset {pos}");
                    }

                    return pos + 8;
                }

                if (stopAtPixelData && depth == 0 && group == 0x7FE0 && element == 0x0010)
                {
                    return pos;
                }

                pos = ReadElement(pos, end, target, depth, out _, explicitOverride: false);
            }

            if (untilItemDelimiter)
            {
                throw new DicomTruncatedException($"item of undefined length runs past offset {end} without a delimiter");
            }

            return pos;
        }

        private int ReadElement(int pos, int end, DicomDataset target, int depth, out DicomTag tag, bool explicitOverride)
        {
            var s = Span;
            tag = new DicomTag(U16(pos), U16(pos + 2));
            string vr;
            uint length;
            int header;
            if (explicitVr || explicitOverride)
            {
                if (!char.IsAsciiLetterUpper((char)s[pos + 4]) || !char.IsAsciiLetterUpper((char)s[pos + 5]))
                {
                    throw new DicomException($"element {tag} at offset {pos} has no valid VR (bytes 0x{s[pos + 4]:X2}{s[pos + 5]:X2}); the data set is not explicit VR as its transfer syntax says");
                }

                vr = new string([(char)s[pos + 4], (char)s[pos + 5]]);
                if (DicomVr.HasLongLength(vr) || !DicomVr.IsKnown(vr))
                {
                    Need(pos, 12, end, tag);
                    length = U32(pos + 8);
                    header = 12;
                }
                else
                {
                    length = U16(pos + 6);
                    header = 8;
                }
            }
            else
            {
                vr = DicomVr.ForImplicit(tag);
                length = U32(pos + 4);
                header = 8;
                if (length == UndefinedLength && vr is not "SQ" and not "OW" and not "OB")
                {
                    vr = "SQ";
                }
            }

            pos += header;
            if (vr == "SQ" || (length == UndefinedLength && vr == "UN" && tag != DicomTag.PixelData))
            {
                if (depth >= MaxSequenceDepth)
                {
                    throw new DicomException($"sequences nested deeper than {MaxSequenceDepth} levels at {tag}");
                }

                var items = new List<DicomDataset>();
                pos = ReadSequence(pos, end, length, items, depth + 1, vr == "UN");
                target.Set(new DicomElement(tag, "SQ", ReadOnlyMemory<byte>.Empty) { Items = items });
                return pos;
            }

            if (length == UndefinedLength)
            {
                if (tag != DicomTag.PixelData)
                {
                    throw new DicomException($"element {tag} ({vr}) has undefined length, which only sequences and encapsulated pixel data may have");
                }

                var fragments = new List<ReadOnlyMemory<byte>>();
                pos = ReadFragments(pos, end, fragments);
                target.Set(new DicomElement(tag, vr, ReadOnlyMemory<byte>.Empty) { Fragments = fragments });
                return pos;
            }

            if (length > (uint)(end - pos))
            {
                throw new DicomTruncatedException($"element {tag} ({vr}) declares {length} bytes at offset {pos}, but only {end - pos} remain");
            }

            var value = data.Slice(pos, (int)length);
            if (bigEndian && !explicitOverride)
            {
                value = ToLittleEndian(value, SwapWidth(tag, vr, target, depth));
            }

            target.Set(new DicomElement(tag, vr, value));
            return pos + (int)length;
        }

        private int ReadSequence(int pos, int end, uint length, List<DicomDataset> items, int depth, bool implicitInside)
        {
            var seqEnd = length == UndefinedLength ? end : pos + (int)Math.Min(length, (uint)(end - pos));
            if (length != UndefinedLength && length > (uint)(end - pos))
            {
                throw new DicomTruncatedException($"sequence declares {length} bytes at offset {pos}, but only {end - pos} remain");
            }

            // A UN sequence of undefined length is encoded implicit VR little endian (PS3.5 6.2.2).
            var inner = implicitInside ? new Parser(data, explicitVr: false, stopAtPixelData: false) : this;
            while (pos < seqEnd)
            {
                Need(pos, 8, seqEnd, DicomTag.Item);
                var g = U16(pos);
                var e = U16(pos + 2);
                var itemLength = U32(pos + 4);
                pos += 8;
                if (g == 0xFFFE && e == 0xE0DD)
                {
                    return pos;
                }

                if (g != 0xFFFE || e != 0xE000)
                {
                    throw new DicomException($"expected an item tag (FFFE,E000) in a sequence at offset {pos - 8}, found ({g:X4},{e:X4})");
                }

                var item = new DicomDataset();
                if (itemLength == UndefinedLength)
                {
                    pos = inner.ParseDataset(pos, seqEnd, item, depth, untilItemDelimiter: true);
                }
                else
                {
                    if (itemLength > (uint)(seqEnd - pos))
                    {
                        throw new DicomTruncatedException($"item declares {itemLength} bytes at offset {pos}, but its sequence has {seqEnd - pos} left");
                    }

                    inner.ParseDataset(pos, pos + (int)itemLength, item, depth, untilItemDelimiter: false);
                    pos += (int)itemLength;
                }

                items.Add(item);
            }

            if (length == UndefinedLength)
            {
                throw new DicomTruncatedException("sequence of undefined length has no sequence delimiter before the end of the data");
            }

            return pos;
        }

        private int ReadFragments(int pos, int end, List<ReadOnlyMemory<byte>> fragments)
        {
            while (true)
            {
                Need(pos, 8, end, DicomTag.PixelData);
                var g = U16(pos);
                var e = U16(pos + 2);
                var len = U32(pos + 4);
                pos += 8;
                if (g == 0xFFFE && e == 0xE0DD)
                {
                    return pos;
                }

                if (g != 0xFFFE || e != 0xE000)
                {
                    throw new DicomException($"expected a pixel data fragment item at offset {pos - 8}, found ({g:X4},{e:X4})");
                }

                if (len > (uint)(end - pos))
                {
                    throw new DicomTruncatedException($"pixel data fragment declares {len} bytes at offset {pos}, but only {end - pos} remain");
                }

                fragments.Add(data.Slice(pos, (int)len));
                pos += (int)len;
            }
        }

        /// <summary>How many bytes each value of an element has, for turning big-endian values round (1: none).</summary>
        private static int SwapWidth(DicomTag tag, string vr, DicomDataset target, int depth)
        {
            if (tag == DicomTag.PixelData && depth == 0)
            {
                // OW pixel data is a run of 16-bit words, or of 32-bit values when Bits Allocated is 32; OB is bytes.
                return vr == "OB" ? 1 : target.GetInt(DicomTag.BitsAllocated) == 32 ? 4 : 2;
            }

            return vr switch
            {
                "US" or "SS" or "OW" or "AT" => 2,
                "UL" or "SL" or "FL" or "OF" or "OL" => 4,
                "FD" or "OD" or "SV" or "UV" or "OV" => 8,
                _ => 1,
            };
        }

        private static ReadOnlyMemory<byte> ToLittleEndian(ReadOnlyMemory<byte> value, int width)
        {
            if (width == 1)
            {
                return value;
            }

            var copy = value.ToArray();
            for (var i = 0; i + width <= copy.Length; i += width)
            {
                copy.AsSpan(i, width).Reverse();
            }

            return copy;
        }

        private static void Need(int pos, int count, int end, DicomTag tag)
        {
            if (end - pos < count)
            {
                throw new DicomTruncatedException($"element {tag} header at offset {pos} needs {count} bytes, but only {end - pos} remain");
            }
        }

        private static bool IsAllZero(ReadOnlySpan<byte> s) => !s.ContainsAnyExcept((byte)0);
    }
}
