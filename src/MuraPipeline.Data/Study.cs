namespace MuraPipeline.Data;

public sealed class Study
{
    public Guid Id { get; set; }

    public required string StudyInstanceUid { get; set; }

    public string? PatientId { get; set; }

    /// <summary>The study type, one of the seven; null until something says (the headers, else the model after scoring).</summary>
    public string? BodyPart { get; set; }

    /// <summary>What said the type: "dicom" (Body Part Examined), "description" (the procedure or description attributes), "folder" (a MURA tree), "model" (the views' majority).</summary>
    public string? BodyPartSource { get; set; }

    /// <summary>Why the study is not screened (a part outside the seven, not a radiograph); set from the headers at ingest.</summary>
    public string? OutOfScopeReason { get; set; }

    /// <summary>Where the study came from: "dicom" or "mura".</summary>
    public required string Source { get; set; }

    public StudyState State { get; set; }

    /// <summary>How many views the study has; the aggregate completes when ScoredViews + FailedViews reaches it.</summary>
    public int ViewCount { get; set; }

    public int ScoredViews { get; set; }

    public int FailedViews { get; set; }

    /// <summary>The mean of the scored views' probabilities (the MURA rule); null until the last view ends.</summary>
    public double? Score { get; set; }

    public bool? Abnormal { get; set; }

    public string? ModelSha256 { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? ScoredAt { get; set; }

    /// <summary>When the study's newest instance arrived; the study is queued once it has been quiet for the configured period.</summary>
    public DateTimeOffset LastInstanceAt { get; set; }

    /// <summary>The ingest replica assembling the study right now, if any; its claim ends at <see cref="LeaseUntil"/>.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public List<View> Views { get; set; } = [];
}
