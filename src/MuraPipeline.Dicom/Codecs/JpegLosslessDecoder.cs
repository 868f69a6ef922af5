using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>
/// JPEG lossless, process 14 (ITU-T T.81 Annex H): Huffman-coded differences from predictors 1 to 7, any precision
/// from 2 to 16 bits, point transform, restart intervals, interleaved or one scan per component.
/// The transfer syntaxes 1.2.840.10008.1.2.4.57 and .70 (selection value 1) both decode here.
/// </summary>
public static class JpegLosslessDecoder
{
    /// <summary>Decodes one frame to native little-endian bytes (8- or 16-bit per <paramref name="bitsAllocated"/>), samples interleaved.</summary>
    public static byte[] Decode(byte[] data, int bitsAllocated, out int width, out int height, out int components)
    {
        var tables = new HuffmanTable?[4];
        int[][]? planes = null;
        byte[]? words = null;
        int precision = 0, restartInterval = 0;
        var componentIds = Array.Empty<int>();
        width = height = components = 0;
        var pos = 0;
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            throw new DicomException("JPEG lossless frame does not start with a JPEG start-of-image marker (FFD8)");
        }

        pos = 2;
        while (true)
        {
            var marker = NextMarker(data, ref pos);
            switch (marker)
            {
                case 0xD9:
                    if (words is not null)
                    {
                        return words;
                    }

                    if (planes is null)
                    {
                        throw new DicomException("JPEG lossless frame ends before any scan");
                    }

                    return Pack(planes, width, height, precision, bitsAllocated);
                case 0xC3:
                {
                    var seg = Segment(data, ref pos);
                    if (seg.Length < 6)
                    {
                        throw new DicomException("JPEG SOF3 segment is too short");
                    }

                    precision = seg[0];
                    height = (seg[1] << 8) | seg[2];
                    width = (seg[3] << 8) | seg[4];
                    components = seg[5];
                    if (precision is < 2 or > 16 || width == 0 || height == 0 || components is < 1 or > 4 || seg.Length < 6 + (3 * components))
                    {
                        throw new DicomException($"JPEG SOF3 header is invalid: precision {precision}, {width}x{height}, {components} component(s)");
                    }

                    componentIds = new int[components];
                    for (var c = 0; c < components; c++)
                    {
                        componentIds[c] = seg[6 + (3 * c)];
                        if (seg[7 + (3 * c)] != 0x11)
                        {
                            throw new DicomException($"JPEG lossless component {c} is subsampled (0x{seg[7 + (3 * c)]:X2}); only 1x1 sampling is supported");
                        }
                    }

                    // The common case, one component into 16-bit words (every greyscale radiograph), is decoded straight
                    // into the output: no planes of ints, no packing pass.
                    if (components == 1 && bitsAllocated == 16 && BitConverter.IsLittleEndian)
                    {
                        words = new byte[2L * width * height <= Array.MaxLength ? 2 * width * height : throw new DicomException($"JPEG lossless frame {width}x{height} is too large")];
                        planes = [];
                        break;
                    }

                    planes = new int[components][];
                    for (var c = 0; c < components; c++)
                    {
                        planes[c] = new int[width * height];
                    }

                    break;
                }

                case 0xC4:
                {
                    var seg = Segment(data, ref pos);
                    var i = 0;
                    while (i < seg.Length)
                    {
                        var id = seg[i] & 0x0F;
                        if (id > 3 || i + 17 > seg.Length)
                        {
                            throw new DicomException("JPEG Huffman table segment is invalid");
                        }

                        var counts = seg.Slice(i + 1, 16);
                        var total = 0;
                        foreach (var n in counts)
                        {
                            total += n;
                        }

                        if (i + 17 + total > seg.Length)
                        {
                            throw new DicomException("JPEG Huffman table runs past its segment");
                        }

                        tables[id] = new HuffmanTable(counts, seg.Slice(i + 17, total));
                        i += 17 + total;
                    }

                    break;
                }

                case 0xDD:
                {
                    var seg = Segment(data, ref pos);
                    restartInterval = seg.Length >= 2 ? (seg[0] << 8) | seg[1] : 0;
                    break;
                }

                case 0xDA:
                {
                    if (planes is null)
                    {
                        throw new DicomException("JPEG scan comes before its frame header");
                    }

                    var seg = Segment(data, ref pos);
                    var ns = seg.Length > 0 ? seg[0] : 0;
                    if (ns < 1 || seg.Length < 1 + (2 * ns) + 3)
                    {
                        throw new DicomException("JPEG start-of-scan segment is invalid");
                    }

                    var scanPlanes = new int[ns][];
                    var scanTables = new HuffmanTable[ns];
                    for (var j = 0; j < ns; j++)
                    {
                        var c = Array.IndexOf(componentIds, (int)seg[1 + (2 * j)]);
                        if (c < 0)
                        {
                            throw new DicomException($"JPEG scan names component {seg[1 + (2 * j)]}, which the frame does not have");
                        }

                        scanPlanes[j] = words is null ? planes[c] : [];
                        var table = seg[2 + (2 * j)] >> 4;
                        scanTables[j] = (table < tables.Length ? tables[table] : null) ?? throw new DicomException($"JPEG scan uses Huffman table {table}, which is not defined");
                    }

                    var predictor = seg[1 + (2 * ns)];
                    var pointTransform = seg[3 + (2 * ns)] & 0x0F;
                    if (pointTransform >= precision)
                    {
                        throw new DicomException($"JPEG lossless point transform {pointTransform} is not below the precision {precision}");
                    }

                    if (predictor is < 1 or > 7)
                    {
                        throw new DicomException($"JPEG lossless predictor (selection value) {predictor} is not 1..7");
                    }

                    pos = words is not null
                        ? DecodeGrayScan(data, pos, scanTables[0], MemoryMarshal.Cast<byte, ushort>(words.AsSpan()), width, height, precision, predictor, pointTransform, restartInterval)
                        : DecodeScan(data, pos, scanPlanes, scanTables, width, height, precision, predictor, pointTransform, restartInterval);
                    break;
                }

                case 0xC0 or 0xC1 or 0xC2 or 0xC5 or 0xC6 or 0xC7 or 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF:
                    throw new DicomException($"JPEG frame is coded with SOF{marker - 0xC0}, not lossless process 14 (SOF3)");
                default:
                    // APPn, COM, DQT, DNL and the like: skipped.
                    Segment(data, ref pos);
                    break;
            }
        }
    }

    private static int NextMarker(byte[] data, ref int pos)
    {
        while (true)
        {
            while (pos < data.Length && data[pos] != 0xFF)
            {
                pos++;
            }

            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                throw new DicomException("JPEG lossless frame is truncated: no end-of-image marker");
            }

            // FF00 is a stuffed data byte left over from a scan, not a marker.
            if (data[pos] != 0x00)
            {
                return data[pos++];
            }
        }
    }

    private static ReadOnlySpan<byte> Segment(byte[] data, ref int pos)
    {
        if (pos + 2 > data.Length)
        {
            throw new DicomException("JPEG marker segment is truncated");
        }

        var length = (data[pos] << 8) | data[pos + 1];
        if (length < 2 || pos + length > data.Length)
        {
            throw new DicomException($"JPEG marker segment declares {length} bytes at offset {pos}, past the end of the frame");
        }

        var seg = new ReadOnlySpan<byte>(data, pos + 2, length - 2);
        pos += length;
        return seg;
    }

    private static int DecodeScan(byte[] data, int pos, int[][] planes, HuffmanTable[] tables, int width, int height, int precision, int predictor, int pt, int restartInterval)
    {
        var reader = new BitReader(data, pos);
        var ns = planes.Length;
        var mask = (1 << (precision - pt)) - 1;
        var initial = 1 << (precision - pt - 1);
        var intervalLeft = restartInterval;
        int resetRow = 0, resetX = 0;
        for (var y = 0; y < height; y++)
        {
            var row = y * width;
            for (var x = 0; x < width; x++)
            {
                if (restartInterval > 0)
                {
                    if (intervalLeft == 0)
                    {
                        reader.Restart();
                        intervalLeft = restartInterval;
                        resetRow = y;
                        resetX = x;
                    }

                    intervalLeft--;
                }

                for (var j = 0; j < ns; j++)
                {
                    var p = planes[j];
                    var diff = reader.DecodeDifference(tables[j]);
                    int prediction;
                    if (y == resetRow)
                    {
                        prediction = x == resetX ? initial : p[row + x - 1];
                    }
                    else if (x == 0)
                    {
                        prediction = p[row - width];
                    }
                    else
                    {
                        var ra = p[row + x - 1];
                        var rb = p[row - width + x];
                        var rc = p[row - width + x - 1];
                        prediction = predictor switch
                        {
                            1 => ra,
                            2 => rb,
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                    }

                    p[row + x] = (prediction + diff) & mask;
                }
            }
        }

        if (pt > 0)
        {
            foreach (var p in planes)
            {
                for (var i = 0; i < p.Length; i++)
                {
                    p[i] <<= pt;
                }
            }
        }

        return reader.Position;
    }

    /// <summary>
    /// One component's scan straight into its 16-bit words: the bit reader lives in locals, each row's predictor is
    /// chosen once, and a restart interval of whole rows (the only kind encoders write for one component) restarts
    /// prediction at a row's start; any other interval takes the general path's per-sample bookkeeping.
    /// </summary>
    private static int DecodeGrayScan(byte[] data, int pos, HuffmanTable table, Span<ushort> o, int width, int height, int precision, int predictor, int pt, int restartInterval)
    {
        if (restartInterval > 0 && restartInterval % width != 0)
        {
            var plane = new int[width * height];
            pos = DecodeScan(data, pos, [plane], [table], width, height, precision, predictor, pt, restartInterval);
            for (var i = 0; i < plane.Length; i++)
            {
                o[i] = (ushort)plane[i];
            }

            return pos;
        }

        var reader = new BitReader(data, pos);
        var mask = (1 << (precision - pt)) - 1;
        var initial = 1 << (precision - pt - 1);
        var rowsPerInterval = restartInterval / width;
        for (var y = 0; y < height; y++)
        {
            var fresh = y == 0;
            if (rowsPerInterval > 0 && y > 0 && y % rowsPerInterval == 0)
            {
                reader.Restart();
                fresh = true;
            }

            var row = o.Slice(y * width, width);
            if (fresh)
            {
                // The first row of the image or of an interval: the first sample from the initial prediction, the
                // rest from the sample to the left.
                var a = initial;
                for (var x = 0; x < row.Length; x++)
                {
                    a = (a + reader.DecodeDifference(table)) & mask;
                    row[x] = (ushort)a;
                }

                continue;
            }

            var above = o.Slice((y - 1) * width, width);
            var ra = (above[0] + reader.DecodeDifference(table)) & mask;
            row[0] = (ushort)ra;
            switch (predictor)
            {
                case 1:
                    for (var x = 1; x < row.Length; x++)
                    {
                        ra = (ra + reader.DecodeDifference(table)) & mask;
                        row[x] = (ushort)ra;
                    }

                    break;
                case 2:
                    for (var x = 1; x < row.Length; x++)
                    {
                        row[x] = (ushort)((above[x] + reader.DecodeDifference(table)) & mask);
                    }

                    break;
                default:
                    for (var x = 1; x < row.Length; x++)
                    {
                        int rb = above[x], rc = above[x - 1];
                        var prediction = predictor switch
                        {
                            3 => rc,
                            4 => ra + rb - rc,
                            5 => ra + ((rb - rc) >> 1),
                            6 => rb + ((ra - rc) >> 1),
                            _ => (ra + rb) >> 1,
                        };
                        ra = (prediction + reader.DecodeDifference(table)) & mask;
                        row[x] = (ushort)ra;
                    }

                    break;
            }
        }

        if (pt > 0)
        {
            for (var i = 0; i < o.Length; i++)
            {
                o[i] <<= pt;
            }
        }

        return reader.Position;
    }

    private static byte[] Pack(int[][] planes, int width, int height, int precision, int bitsAllocated)
    {
        if (precision > bitsAllocated)
        {
            throw new DicomException($"JPEG precision {precision} bits does not fit Bits Allocated {bitsAllocated}");
        }

        var n = planes.Length;
        var pixels = width * height;
        var bytes = bitsAllocated / 8;
        var o = new byte[pixels * n * bytes];
        for (var i = 0; i < pixels; i++)
        {
            for (var c = 0; c < n; c++)
            {
                var v = planes[c][i];
                var at = ((i * n) + c) * bytes;
                o[at] = (byte)v;
                if (bytes == 2)
                {
                    o[at + 1] = (byte)(v >> 8);
                }
            }
        }

        return o;
    }

    private sealed class HuffmanTable
    {
        public const int LookupBits = 11;
        public const int Whole = 1 << 15;
        private readonly int[] _maxCode = new int[18];
        private readonly int[] _valueOffset = new int[18];
        private readonly byte[] _values;

        /// <summary>
        /// For each 11-bit prefix: 0 when the code is longer; <see cref="Whole"/> | (the difference &lt;&lt; 16) | bits
        /// when the code and its extra bits both fit; else (category &lt;&lt; 8) | code length.
        /// </summary>
        public readonly int[] Lookup = new int[1 << LookupBits];

        public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            var code = 0;
            var k = 0;
            for (var length = 1; length <= 16; length++)
            {
                _valueOffset[length] = k - code;
                for (var i = 0; i < counts[length - 1]; i++, k++, code++)
                {
                    if (code >= 1 << length)
                    {
                        throw new DicomException("JPEG Huffman table is invalid: more codes than its code lengths allow");
                    }

                    if (length <= LookupBits)
                    {
                        var shift = LookupBits - length;
                        var category = Math.Min((int)_values[k], 16);
                        for (var fill = 0; fill < 1 << shift; fill++)
                        {
                            var prefix = (code << shift) | fill;
                            var extra = category is 0 or 16 ? 0 : category;
                            if (category < 16 && length + extra <= LookupBits)
                            {
                                var bits = (fill >> (shift - extra)) & ((1 << extra) - 1);
                                Lookup[prefix] = Whole | (Extend(bits, category) << 16) | (length + extra);
                            }
                            else
                            {
                                Lookup[prefix] = (category << 8) | length;
                            }
                        }
                    }
                }

                _maxCode[length] = counts[length - 1] == 0 ? -1 : code - 1;
                code <<= 1;
            }

            _maxCode[17] = int.MaxValue;
        }

        /// <summary>T.81 H.1.2.2: a category's extra bits to the difference they code (category 16: 32768, no bits).</summary>
        public static int Extend(int bits, int category) => category switch
        {
            0 => 0,
            >= 16 => 32768,
            _ => bits < 1 << (category - 1) ? bits - (1 << category) + 1 : bits,
        };

        public int Slow(ulong acc, int bits, out int length)
        {
            for (length = LookupBits + 1; length <= 16; length++)
            {
                var code = (int)((acc >> (bits - length)) & ((1UL << length) - 1));
                if (code <= _maxCode[length])
                {
                    return _values[code + _valueOffset[length]];
                }
            }

            throw new DicomException("JPEG lossless data holds a Huffman code its table does not define");
        }
    }

    /// <summary>The scan's entropy-coded bits, 64 at a time; a struct so that a decoding loop keeps it in registers.</summary>
    private struct BitReader(byte[] data, int pos)
    {
        private ulong _acc;
        private int _bits;
        private bool _marker;

        public readonly int Position => pos;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int DecodeDifference(HuffmanTable table)
        {
            if (_bits < 32)
            {
                Fill();
            }

            var entry = table.Lookup[(int)(_acc >> (_bits - HuffmanTable.LookupBits)) & ((1 << HuffmanTable.LookupBits) - 1)];
            if ((entry & HuffmanTable.Whole) != 0)
            {
                _bits -= entry & 0xFF;
                return entry >> 16;
            }

            return Longer(table, entry);
        }

        /// <summary>A code, or its extra bits, longer than the lookup: the table's slow search and the extra bits read here.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private int Longer(HuffmanTable table, int entry)
        {
            int category;
            if (entry != 0)
            {
                category = entry >> 8;
                _bits -= entry & 0xFF;
            }
            else
            {
                category = table.Slow(_acc, _bits, out var length);
                _bits -= length;
            }

            if (category is 0 or >= 16)
            {
                return HuffmanTable.Extend(0, category);
            }

            var v = (int)(_acc >> (_bits - category)) & ((1 << category) - 1);
            _bits -= category;
            return HuffmanTable.Extend(v, category);
        }

        public void Restart()
        {
            _acc = 0;
            _bits = 0;
            while (pos + 1 < data.Length && data[pos] == 0xFF && data[pos + 1] == 0xFF)
            {
                pos++;
            }

            if (pos + 1 < data.Length && data[pos] == 0xFF && data[pos + 1] is >= 0xD0 and <= 0xD7)
            {
                pos += 2;
            }

            _marker = false;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Fill()
        {
            // Seven bytes at once when none of the next eight is 0xFF (no stuffing, no marker): the usual case.
            if (!_marker && pos + 8 <= data.Length)
            {
                var next = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(pos));
                var inverted = ~next;
                if (((inverted - 0x0101010101010101UL) & ~inverted & 0x8080808080808080UL) == 0)
                {
                    var take = Math.Min((64 - _bits) >> 3, 7);
                    _acc = (_acc << (take * 8)) | (next >> (64 - (take * 8)));
                    _bits += take * 8;
                    pos += take;
                    return;
                }
            }

            while (_bits <= 56)
            {
                var b = 0;
                if (!_marker && pos < data.Length)
                {
                    b = data[pos];
                    if (b == 0xFF)
                    {
                        var next = pos + 1 < data.Length ? data[pos + 1] : 0xD9;
                        if (next == 0x00)
                        {
                            pos += 2;
                        }
                        else
                        {
                            _marker = true;
                            b = 0;
                        }
                    }
                    else
                    {
                        pos++;
                    }
                }

                _acc = (_acc << 8) | (uint)b;
                _bits += 8;
            }
        }
    }
}
