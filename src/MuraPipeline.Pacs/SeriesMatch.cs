using MuraPipeline.Contracts;

namespace MuraPipeline.Pacs;

/// <summary>One series of a study, as the PACS describes it at series level, with the study type its attributes name (the one resolver's call).</summary>
public sealed record SeriesMatch(string SeriesInstanceUid, string? Modality, string? BodyPart, int? Instances, StudyTypeCall Type)
{
    /// <summary>Whether its instances are pulled: unless its modality is not radiography or its body part or description names a part outside the seven (what it does not say, ingest decides from the instances' headers).</summary>
    public bool Wanted => Type.OutOfScope is null;
}
