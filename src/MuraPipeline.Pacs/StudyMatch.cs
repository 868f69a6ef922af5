namespace MuraPipeline.Pacs;

/// <summary>One study on the PACS with what its series say.</summary>
public sealed record StudyMatch(string StudyInstanceUid, string? StudyDate, string? Accession, string? PatientId, IReadOnlyList<string> Modalities, string? BodyPart, int? Instances, IReadOnlyList<SeriesMatch> Series)
{
    /// <summary>Instances in the series we pull.</summary>
    public int? WantedInstances => Series.Count == 0 ? Instances
        : Series.Where(s => s.Wanted).All(s => s.Instances is not null) ? Series.Where(s => s.Wanted).Sum(s => s.Instances!.Value) : null;
}
