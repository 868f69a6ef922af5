using System.Buffers.Binary;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace MuraPipeline.Dicom;

/// <summary>Prints a file the way dcmtk's dcmdump lays it out: one line per element, nested items indented.</summary>
public static class DicomDump
{
    private const int MaxValueChars = 66;

    private static readonly Dictionary<DicomTag, string> Names = typeof(DicomTag)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DicomTag))
        .ToDictionary(f => (DicomTag)f.GetValue(null)!, f => f.Name);

    public static string Format(DicomFile file)
    {
        var sb = new StringBuilder();
        if (file.Meta.Count > 0)
        {
            sb.AppendLine().AppendLine("# Dicom-File-Format").AppendLine().AppendLine("# Dicom-Meta-Information-Header");
            sb.AppendLine(CultureInfo.InvariantCulture, $"# Used TransferSyntax: {DicomUids.Describe(DicomUids.ExplicitVrLittleEndian)}");
            Append(sb, file.Meta, 0);
        }

        sb.AppendLine().AppendLine("# Dicom-Data-Set");
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Used TransferSyntax: {DicomUids.Describe(file.TransferSyntaxUid)}");
        Append(sb, file.Dataset, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, DicomDataset ds, int depth)
    {
        var indent = new string(' ', depth * 2);
        foreach (var e in ds.Elements)
        {
            if (e.Items is { } items)
            {
                Line(sb, indent, e, $"(Sequence with undefined length #={items.Count})", "u/l", 1);
                foreach (var item in items)
                {
                    sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}  (fffe,e000) na (Item with undefined length #={item.Count})  # u/l, 1 Item");
                    Append(sb, item, depth + 2);
                    sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}  (fffe,e00d) na (ItemDelimitationItem)  #   0, 0 ItemDelimitationItem");
                }

                sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}(fffe,e0dd) na (SequenceDelimitationItem)  #   0, 0 SequenceDelimitationItem");
                continue;
            }

            if (e.Fragments is { } fragments)
            {
                Line(sb, indent, e, $"(PixelSequence #={fragments.Count})", "u/l", 1);
                foreach (var f in fragments)
                {
                    sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}  (fffe,e000) pi {Hex(f.Span, 1)}  # {f.Length,3}, 1 Item");
                }

                sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}(fffe,e0dd) na (SequenceDelimitationItem)  #   0, 0 SequenceDelimitationItem");
                continue;
            }

            var (text, vm) = Value(ds, e);
            Line(sb, indent, e, text, e.Value.Length.ToString(CultureInfo.InvariantCulture), vm);
        }
    }

    private static void Line(StringBuilder sb, string indent, DicomElement e, string value, string length, int vm)
    {
        var name = Names.TryGetValue(e.Tag, out var n) ? n : e.Tag.IsPrivate ? "PrivateTag" : "Unknown Tag & Data";
        var head = $"{indent}({e.Tag.Group:x4},{e.Tag.Element:x4}) {e.Vr} {value}";
        sb.Append(head.PadRight(indent.Length + 50)).AppendLine(CultureInfo.InvariantCulture, $" # {length,3}, {vm} {name}");
    }

    private static (string Text, int Vm) Value(DicomDataset ds, DicomElement e)
    {
        var memory = e.Value;
        var span = memory.Span;
        if (span.Length == 0)
        {
            return ("(no value available)", 0);
        }

        switch (e.Vr)
        {
            case "US" or "SS" or "UL" or "SL" or "FL" or "FD":
                var width = e.Vr is "US" or "SS" ? 2 : e.Vr == "FD" ? 8 : 4;
                var count = span.Length / width;
                var parts = Enumerable.Range(0, count).Select(i => Number(e.Vr, memory.Span[(i * width)..]));
                return (Clip(string.Join('\\', parts)), count);
            case "AT":
                var tags = Enumerable.Range(0, span.Length / 4).Select(i => $"({BinaryPrimitives.ReadUInt16LittleEndian(memory.Span[(i * 4)..]):x4},{BinaryPrimitives.ReadUInt16LittleEndian(memory.Span[((i * 4) + 2)..]):x4})");
                return (string.Join('\\', tags), span.Length / 4);
            case "OW":
                return (Hex(span, 2), 1);
            case "OB" or "UN" or "OF" or "OD" or "OL" or "OV":
                return (Hex(span, 1), 1);
            default:
                var s = ds.GetString(e.Tag) ?? string.Empty;
                var vm = e.Vr is "LT" or "ST" or "UT" ? 1 : s.Split('\\').Length;
                return ($"[{Clip(s)}]", vm);
        }
    }

    private static string Number(string vr, ReadOnlySpan<byte> s) => vr switch
    {
        "US" => BinaryPrimitives.ReadUInt16LittleEndian(s).ToString(CultureInfo.InvariantCulture),
        "SS" => BinaryPrimitives.ReadInt16LittleEndian(s).ToString(CultureInfo.InvariantCulture),
        "UL" => BinaryPrimitives.ReadUInt32LittleEndian(s).ToString(CultureInfo.InvariantCulture),
        "SL" => BinaryPrimitives.ReadInt32LittleEndian(s).ToString(CultureInfo.InvariantCulture),
        "FL" => BinaryPrimitives.ReadSingleLittleEndian(s).ToString("G6", CultureInfo.InvariantCulture),
        _ => BinaryPrimitives.ReadDoubleLittleEndian(s).ToString("G6", CultureInfo.InvariantCulture),
    };

    private static string Hex(ReadOnlySpan<byte> s, int width)
    {
        var sb = new StringBuilder();
        for (var i = 0; i + width <= s.Length && sb.Length < MaxValueChars; i += width)
        {
            if (sb.Length > 0)
            {
                sb.Append('\\');
            }

            sb.Append(width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(s[i..]).ToString("x4", CultureInfo.InvariantCulture) : s[i].ToString("x2", CultureInfo.InvariantCulture));
        }

        return sb.Length >= MaxValueChars ? sb.ToString(0, MaxValueChars) + "..." : sb.ToString();
    }

    private static string Clip(string s) => s.Length > MaxValueChars ? s[..MaxValueChars] + "..." : s;
}
