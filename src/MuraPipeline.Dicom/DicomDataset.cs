using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MuraPipeline.Dicom;

/// <summary>A DICOM data set: elements kept in tag order, unknown and private ones included.</summary>
public sealed class DicomDataset
{
    private readonly SortedDictionary<DicomTag, DicomElement> _elements = [];

    public IEnumerable<DicomElement> Elements => _elements.Values;

    public int Count => _elements.Count;

    public bool Contains(DicomTag tag) => _elements.ContainsKey(tag);

    public DicomElement? Get(DicomTag tag) => _elements.GetValueOrDefault(tag);

    public void Set(DicomElement element) => _elements[element.Tag] = element;

    public bool Remove(DicomTag tag) => _elements.Remove(tag);

    /// <summary>The text encoding the Specific Character Set (0008,0005) names; ISO_IR 100 and ISO_IR 192 are supported, the default repertoire reads as Latin-1.</summary>
    public Encoding TextEncoding
    {
        get
        {
            var cs = GetString(DicomTag.SpecificCharacterSet, Encoding.Latin1) ?? string.Empty;
            return cs.Contains("ISO_IR 192", StringComparison.Ordinal) ? Encoding.UTF8 : Encoding.Latin1;
        }
    }

    public string? GetString(DicomTag tag) => GetString(tag, TextEncoding);

    private string? GetString(DicomTag tag, Encoding encoding)
    {
        if (!_elements.TryGetValue(tag, out var e) || e.Items is not null || e.Fragments is not null)
        {
            return null;
        }

        var enc = e.Vr is "PN" or "LO" or "SH" or "ST" or "LT" or "UT" or "UC" ? encoding : Encoding.Latin1;
        return enc.GetString(e.Value.Span).TrimEnd(' ', '\0');
    }

    /// <summary>The values of a multi-valued text element, split on backslash and trimmed.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        var s = GetString(tag);
        return string.IsNullOrEmpty(s) ? [] : s.Split('\\').Select(v => v.Trim(' ', '\0')).ToArray();
    }

    /// <summary>A numeric value from a US, SS, UL, SL, IS or DS element; <paramref name="index"/> picks one of several values.</summary>
    public double? GetNumber(DicomTag tag, int index = 0)
    {
        if (!_elements.TryGetValue(tag, out var e))
        {
            return null;
        }

        var span = e.Value.Span;
        switch (e.Vr)
        {
            case "US":
                return span.Length >= (index + 1) * 2 ? BinaryPrimitives.ReadUInt16LittleEndian(span[(index * 2)..]) : null;
            case "SS":
                return span.Length >= (index + 1) * 2 ? BinaryPrimitives.ReadInt16LittleEndian(span[(index * 2)..]) : null;
            case "UL":
                return span.Length >= (index + 1) * 4 ? BinaryPrimitives.ReadUInt32LittleEndian(span[(index * 4)..]) : null;
            case "SL":
                return span.Length >= (index + 1) * 4 ? BinaryPrimitives.ReadInt32LittleEndian(span[(index * 4)..]) : null;
            case "FL":
                return span.Length >= (index + 1) * 4 ? BinaryPrimitives.ReadSingleLittleEndian(span[(index * 4)..]) : null;
            case "FD":
                return span.Length >= (index + 1) * 8 ? BinaryPrimitives.ReadDoubleLittleEndian(span[(index * 8)..]) : null;
            case "UN" when span.Length == 2:
                return index == 0 ? BinaryPrimitives.ReadUInt16LittleEndian(span) : null;
            default:
                var values = GetStrings(tag);
                if (index >= values.Length)
                {
                    return null;
                }

                return double.TryParse(values[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
        }
    }

    public int? GetInt(DicomTag tag, int index = 0) => GetNumber(tag, index) is { } d ? (int)Math.Round(d) : null;

    public DicomDataset AddString(DicomTag tag, string vr, string value)
    {
        var enc = vr is "PN" or "LO" or "SH" or "ST" or "LT" or "UT" or "UC" ? TextEncoding : Encoding.ASCII;
        var bytes = enc.GetBytes(value);
        if ((bytes.Length & 1) == 1)
        {
            Array.Resize(ref bytes, bytes.Length + 1);
            bytes[^1] = DicomVr.PadByte(vr);
        }

        Set(new DicomElement(tag, vr, bytes));
        return this;
    }

    public DicomDataset AddUInt16(DicomTag tag, params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        }

        Set(new DicomElement(tag, "US", bytes));
        return this;
    }

    public DicomDataset AddBytes(DicomTag tag, string vr, ReadOnlyMemory<byte> value)
    {
        if ((value.Length & 1) == 1)
        {
            var padded = new byte[value.Length + 1];
            value.Span.CopyTo(padded);
            value = padded;
        }

        Set(new DicomElement(tag, vr, value));
        return this;
    }

    public DicomDataset AddSequence(DicomTag tag, IReadOnlyList<DicomDataset> items)
    {
        Set(new DicomElement(tag, "SQ", ReadOnlyMemory<byte>.Empty) { Items = items });
        return this;
    }
}
