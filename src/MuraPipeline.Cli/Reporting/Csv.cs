using System.Globalization;
using System.Text;

namespace MuraPipeline.Cli.Reporting;

/// <summary>RFC 4180 CSV: fields with a comma, quote or line break are quoted.</summary>
public static class Csv
{
    public static string Field(object? value)
    {
        var s = value switch
        {
            null => string.Empty,
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "1" : "0",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : s;
    }

    public static void Write(string path, string header, IEnumerable<object?[]> rows)
    {
        var sb = new StringBuilder(header).Append('\n');
        foreach (var r in rows)
        {
            sb.AppendJoin(',', r.Select(Field)).Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>Splits one CSV line (quoted fields allowed).</summary>
    public static List<string> Split(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(c);
            }
        }

        fields.Add(sb.ToString());
        return fields;
    }
}
