namespace MuraPipeline.Data;

/// <summary>One retraining export (scheduled or by hand): its window of verdicts, what it wrote, and the training hook's outcome.</summary>
public sealed class ExportRun
{
    public long Id { get; set; }

    /// <summary>"schedule" or "manual".</summary>
    public required string Trigger { get; set; }

    /// <summary>The host (and Quartz instance) that ran it.</summary>
    public required string Instance { get; set; }

    public ExportRunStatus Status { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Verdicts with an Id above this were considered …</summary>
    public long FromWatermark { get; set; }

    /// <summary>… up to and including this one (set when the run read its window).</summary>
    public long? ToWatermark { get; set; }

    public int Studies { get; set; }

    public int Images { get; set; }

    /// <summary>Studies with new verdicts that were not exported (unknown study, no body part, no image, unchanged label).</summary>
    public int Skipped { get; set; }

    /// <summary>The export's folder once renamed into place.</summary>
    public string? Folder { get; set; }

    public string? Error { get; set; }

    /// <summary>The training hook's outcome: null (no hook, or nothing new), "activated", "rejected" or "failed".</summary>
    public string? TrainingStatus { get; set; }

    public string? CandidateSha256 { get; set; }

    public double? CandidateKappa { get; set; }

    public double? ActiveKappa { get; set; }

    public string? TrainingDetail { get; set; }
}
