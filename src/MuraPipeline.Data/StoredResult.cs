namespace MuraPipeline.Data;

/// <summary>One DICOM object made from a scored study (its SR, or a view's heatmap Secondary Capture), kept whole so every destination gets the same bytes.</summary>
public sealed class StoredResult
{
    public Guid Id { get; set; }

    public Guid StudyId { get; set; }

    public required string StudyInstanceUid { get; set; }

    /// <summary>The model version whose scores it reports: a re-score by another model makes new objects.</summary>
    public required string ModelSha256 { get; set; }

    /// <summary>"sr" or "sc".</summary>
    public required string Kind { get; set; }

    public required string SopClassUid { get; set; }

    public required string SopInstanceUid { get; set; }

    public required string SeriesInstanceUid { get; set; }

    /// <summary>For a Secondary Capture, the view it shows.</summary>
    public string? ViewSopInstanceUid { get; set; }

    /// <summary>The Part-10 file; empty once retention removed it (<see cref="ContentRemovedAt"/>).</summary>
    public required byte[] Content { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When retention removed <see cref="Content"/>, every destination having acknowledged it; the row and its UIDs stay.</summary>
    public DateTimeOffset? ContentRemovedAt { get; set; }

    public List<ResultDelivery> Deliveries { get; set; } = [];
}
