using System.Globalization;

namespace MuraPipeline.Cli.Evaluation;

/// <summary>A study's ground truth from labels.csv (study_uid, body_part, label, …).</summary>
public sealed record StudyLabel(string StudyInstanceUid, string BodyPart, int Label);

/// <summary>A lesion box on one view, in that view's pixel grid (inclusive corners): labels.csv's "VIEW x0 y0 x1 y1".</summary>
public sealed record LabelBox(string View, int X0, int Y0, int X1, int Y1)
{
    /// <summary>Whether a point (continuous pixel coordinates) lies on the box's pixels.</summary>
    public bool Contains(double x, double y) => x >= X0 && x <= X1 + 1 && y >= Y0 && y <= Y1 + 1;
}

public static class Labels
{
    public static IReadOnlyDictionary<string, StudyLabel> Read(string path)
    {
        var result = new Dictionary<string, StudyLabel>(StringComparer.Ordinal);
        foreach (var row in Reporting.Csv.ReadRows(path, "study_uid", "body_part", "label"))
        {
            result[row("study_uid")] = new StudyLabel(row("study_uid"), row("body_part"), row("label") == "1" ? 1 : 0);
        }

        return result;
    }

    /// <summary>
    /// The lesion boxes of an optional "boxes" column: "VIEW x0 y0 x1 y1" joined by ';', VIEW being a SOP Instance UID
    /// or a MURA-layout path (XR_WRIST/patient…/study1_positive/image1.png). Empty when the column is absent.
    /// </summary>
    public static IReadOnlyList<LabelBox> ReadBoxes(string path)
    {
        var header = Reporting.Csv.Split(File.ReadLines(path).FirstOrDefault() ?? string.Empty);
        if (!header.Contains("boxes"))
        {
            return [];
        }

        var boxes = new List<LabelBox>();
        foreach (var row in Reporting.Csv.ReadRows(path, "study_uid", "boxes"))
        {
            foreach (var item in row("boxes").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var f = item.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length != 5 || !f.Skip(1).All(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
                {
                    throw new InvalidDataException($"{path}: study {row("study_uid")} has a box '{item}'; expected 'VIEW x0 y0 x1 y1'");
                }

                var c = f.Skip(1).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                boxes.Add(new LabelBox(f[0], Math.Min(c[0], c[2]), Math.Min(c[1], c[3]), Math.Max(c[0], c[2]), Math.Max(c[1], c[3])));
            }
        }

        return boxes;
    }
}
