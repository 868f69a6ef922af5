namespace MuraPipeline.Pacs;

/// <summary>What to look for on a PACS: the filters of `mura pacs find` and `mura pacs pull`, or a list of study UIDs.</summary>
public sealed record PacsQuery
{
    public DateOnly? From { get; init; }

    public DateOnly? To { get; init; }

    /// <summary>Modalities a study must have one series of (CR, DX…); empty: any.</summary>
    public IReadOnlyList<string> Modalities { get; init; } = [];

    /// <summary>A study type (WRIST…) or a Body Part Examined value a series must have; null: any.</summary>
    public string? BodyPart { get; init; }

    public string? Accession { get; init; }

    public string? PatientId { get; init; }

    /// <summary>Exactly these studies (the filters above still apply).</summary>
    public IReadOnlyList<string> StudyUids { get; init; } = [];

    /// <summary>How the operator put it, for the job row and the audit trail.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (From is { } f)
        {
            parts.Add($"from {f:yyyy-MM-dd}");
        }

        if (To is { } t)
        {
            parts.Add($"to {t:yyyy-MM-dd}");
        }

        if (Modalities.Count > 0)
        {
            parts.Add($"modality {string.Join(',', Modalities)}");
        }

        if (BodyPart is { } b)
        {
            parts.Add($"body part {b}");
        }

        if (Accession is { } a)
        {
            parts.Add($"accession {a}");
        }

        if (PatientId is { } p)
        {
            parts.Add($"patient id {p}");
        }

        if (StudyUids.Count > 0)
        {
            parts.Add($"{StudyUids.Count} listed studies");
        }

        return parts.Count == 0 ? "all studies" : string.Join("; ", parts);
    }
}
