namespace MuraPipeline.Cli.Evaluation;

/// <summary>A study's ground truth from labels.csv (study_uid, body_part, label, …).</summary>
public sealed record StudyLabel(string StudyInstanceUid, string BodyPart, int Label);

public static class Labels
{
    public static IReadOnlyDictionary<string, StudyLabel> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path} is empty");
        }

        var header = Reporting.Csv.Split(lines[0]);
        int Col(string name) => header.IndexOf(name) is var i and >= 0 ? i : throw new InvalidDataException($"{path} has no column '{name}'");
        int uid = Col("study_uid"), part = Col("body_part"), label = Col("label");
        var result = new Dictionary<string, StudyLabel>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = Reporting.Csv.Split(line);
            result[f[uid]] = new StudyLabel(f[uid], f[part], f[label] == "1" ? 1 : 0);
        }

        return result;
    }
}
