namespace MuraPipeline.Data;

public sealed class PullStudy
{
    public Guid Id { get; set; }

    public Guid JobId { get; set; }

    public PullJob? Job { get; set; }

    public required string StudyInstanceUid { get; set; }

    public string? StudyDate { get; set; }

    public string? Modalities { get; set; }

    public string? BodyPart { get; set; }

    /// <summary>Instances the PACS said the study has (C-FIND), when it said.</summary>
    public int? Instances { get; set; }

    public PullStudyState State { get; set; }

    public int Attempts { get; set; }

    /// <summary>Why the study failed, or why the last attempt did (an operator reads it).</summary>
    public string? Reason { get; set; }

    /// <summary>Instances that arrived (the PACS's completed sub-operations).</summary>
    public int Retrieved { get; set; }

    /// <summary>Instances left on the PACS because they are not CR, DX or SC images of the seven study types.</summary>
    public int Skipped { get; set; }

    /// <summary>Instances the PACS reported as failed sub-operations in the last attempt.</summary>
    public int FailedInstances { get; set; }

    /// <summary>The puller working on the study now; its claim ends at <see cref="LeaseUntil"/> unless renewed.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>A failed attempt waits until then before the next one.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}
