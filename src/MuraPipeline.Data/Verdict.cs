namespace MuraPipeline.Data;

/// <summary>
/// A reader's verdict on a study (ground truth): every verdict is kept for audit, the latest (highest Id) wins. Ids are
/// handed out in commit order (see <see cref="GroundTruthStore"/>), so "verdicts after Id N" is an exact watermark.
/// </summary>
public sealed class Verdict
{
    public long Id { get; set; }

    public required string StudyInstanceUid { get; set; }

    public bool Abnormal { get; set; }

    /// <summary>The reader's study type, when they give one; it overrides the DICOM body part in the export.</summary>
    public string? BodyPart { get; set; }

    public required string ReaderId { get; set; }

    /// <summary>When the reader read the study (their clock, or the import's).</summary>
    public DateTimeOffset ReadAt { get; set; }

    /// <summary>When the pipeline recorded it.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>"api" or "import:FILE".</summary>
    public required string Source { get; set; }
}
