namespace MuraPipeline.Evaluation;

/// <summary>Everything a labels file says: every row in file order (an import keeps them all), and lesion boxes.</summary>
public sealed record LabelSet(string Path, LabelsFormat Format, IReadOnlyList<StudyLabel> Rows, IReadOnlyList<LabelBox> Boxes)
{
    /// <summary>The label of each study (a later row for the same study wins).</summary>
    public IReadOnlyDictionary<string, StudyLabel> ByStudy { get; } = Rows.GroupBy(r => r.StudyInstanceUid, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
}
