namespace MuraPipeline.Cli.Evaluation;

/// <summary>A study's ground truth from labels.csv (study_uid, body_part, label, …).</summary>
public sealed record StudyLabel(string StudyInstanceUid, string BodyPart, int Label);

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
}
