using System.Globalization;
using System.Text;

namespace MuraPipeline.Evaluation;

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

    /// <summary>
    /// Reads a CSV file with a header: each data row as a lookup by column name. A required column the header lacks is
    /// an error that names the file and the column.
    /// </summary>
    public static IEnumerable<Func<string, string>> ReadRows(string path, params string[] required)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path} is empty");
        }

        var header = Split(lines[0]);
        foreach (var name in required.Where(n => !header.Contains(n)))
        {
            throw new InvalidDataException($"{path} has no column '{name}'");
        }

        // Any other column may be asked for too: one the header lacks reads as empty.
        var columns = header.Select((name, i) => (name, i)).DistinctBy(c => c.name).ToDictionary(c => c.name, c => c.i, StringComparer.Ordinal);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var fields = Split(line);
            yield return name => columns.TryGetValue(name, out var i) && i < fields.Count ? fields[i] : string.Empty;
        }
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
