namespace MuraPipeline.Data;

/// <summary>A view's life: Received → Queued → Scored | Failed(reason); or Received → OutOfScope with its study.</summary>
public enum ViewState
{
    Received = 0,
    Queued = 1,
    Scored = 2,
    Failed = 3,
    OutOfScope = 4,
}

/// <summary>
/// A study is Open while views arrive, Queued once its views are sent, and Scored (or Failed, when no view could be
/// scored) when the last view ends; OutOfScope (never scored, never a failure) when its headers name a part outside
/// the seven or its images are not radiographs.
/// </summary>
public enum StudyState
{
    Open = 0,
    Queued = 1,
    Scored = 2,
    Failed = 3,
    OutOfScope = 4,
}

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

/// <summary>One model's score of one view: written once, in the transaction that moves the view to Scored.</summary>
public sealed class Score
{
    public Guid Id { get; set; }

    public Guid ViewId { get; set; }

    public required string ModelSha256 { get; set; }

    public double Probability { get; set; }

    public string? PredictedBodyPart { get; set; }

    /// <summary>The model call that made the score: every score of one batch shares it, and one batch has one model.</summary>
    public Guid? BatchId { get; set; }

    public DateTimeOffset ScoredAt { get; set; }
}

/// <summary>A view's 8-bit derivative (PNG), kept for the report, heatmaps and the retraining export.</summary>
public sealed class ViewImage
{
    public Guid ViewId { get; set; }

    public required byte[] Png { get; set; }
}

/// <summary>The raw class activation grid of one view under one model, and its peak.</summary>
public sealed class Heatmap
{
    public Guid ViewId { get; set; }

    public required string ModelSha256 { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    /// <summary>float32 little-endian, row-major.</summary>
    public required byte[] Grid { get; set; }

    public double PeakX { get; set; }

    public double PeakY { get; set; }
}

/// <summary>A model file, identified by its SHA-256.</summary>
public sealed class ModelVersion
{
    public required string Sha256 { get; set; }

    public required string Name { get; set; }

    public required string Path { get; set; }

    public string? Metadata { get; set; }

    /// <summary>How the pipeline talks to the model: "mura" (our contract) or an adapter's name ("multitask").</summary>
    public string Contract { get; set; } = "mura";

    /// <summary>Per-body-part thresholds chosen by `mura calibrate`, as JSON ({"WRIST":0.42,…}); null when not calibrated.</summary>
    public string? Thresholds { get; set; }

    /// <summary>The one model inference follows (at most one row is active).</summary>
    public bool Active { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    public DateTimeOffset? ActivatedAt { get; set; }
}

/// <summary>A registered model's bytes, so every inference replica can load the active model without a shared volume.</summary>
public sealed class ModelFile
{
    public required string Sha256 { get; set; }

    public required byte[] Content { get; set; }
}

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

public enum ExportRunStatus
{
    Running = 0,
    Succeeded = 1,
    Failed = 2,

    /// <summary>Another export held the export lock; nothing was done.</summary>
    Skipped = 3,
}

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
