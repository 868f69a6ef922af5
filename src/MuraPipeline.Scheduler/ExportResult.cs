using MuraPipeline.Data;

namespace MuraPipeline.Scheduler;

/// <summary>What one export did.</summary>
public sealed record ExportResult(long? RunId, ExportRunStatus Status, int Studies, int Images, int Skipped, string? Folder, string? Error, string? TrainingStatus, string? TrainingDetail);
