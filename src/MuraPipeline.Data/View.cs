namespace MuraPipeline.Data;

public sealed class View
{
    public Guid Id { get; set; }

    public Guid StudyId { get; set; }

    public Study? Study { get; set; }

    /// <summary>The idempotency key: a SOP Instance UID (or, for a MURA-layout PNG, a UID derived from its path).</summary>
    public required string SopInstanceUid { get; set; }

    public required string SourcePath { get; set; }

    public string? ViewPosition { get; set; }

    public ViewState State { get; set; }

    public string? Error { get; set; }

    public double? Probability { get; set; }

    public string? PredictedBodyPart { get; set; }

    /// <summary>The model's body part differs from the study's DICOM body part (a mislabelled study, or a model error); null until scored or when either is unknown.</summary>
    public bool? BodyPartMismatch { get; set; }

    public string? ModelSha256 { get; set; }

    public int Attempts { get; set; }

    /// <summary>How often the reconciler has sent the view again because it stayed Queued too long.</summary>
    public int Requeues { get; set; }

    /// <summary>The derivative's size.</summary>
    public int Width { get; set; }

    public int Height { get; set; }

    /// <summary>The view's own pixel grid (DICOM Columns and Rows, or the PNG's size): lesion boxes and heatmap peaks are reported in it.</summary>
    public int SourceWidth { get; set; }

    public int SourceHeight { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? QueuedAt { get; set; }

    public DateTimeOffset? ScoredAt { get; set; }

    /// <summary>When an operator asked for a view that failed at ingest to be read from its file again; cleared when an ingest replica takes the request.</summary>
    public DateTimeOffset? RetryRequestedAt { get; set; }

    /// <summary>When retention deleted the original file (<see cref="SourcePath"/> names where it was).</summary>
    public DateTimeOffset? OriginalRemovedAt { get; set; }

    /// <summary>When retention deleted the view's derivative image and heatmaps.</summary>
    public DateTimeOffset? DerivativesRemovedAt { get; set; }
}
