namespace MuraPipeline.Data;

/// <summary>Where a study went in the exports: its pseudonymous path (stable across exports) and what was exported last.</summary>
public sealed class ExportedStudy
{
    public required string StudyInstanceUid { get; set; }

    public required string Patient { get; set; }

    public int StudyNumber { get; set; }

    /// <summary>"train" or "valid" (by patient: a patient is never in both).</summary>
    public required string Split { get; set; }

    public required string BodyPart { get; set; }

    public bool Abnormal { get; set; }

    public long LastRunId { get; set; }

    public long LastVerdictId { get; set; }
}
