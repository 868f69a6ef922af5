namespace MuraPipeline.Data;

public enum ExportRunStatus
{
    Running = 0,
    Succeeded = 1,
    Failed = 2,

    /// <summary>Another export held the export lock; nothing was done.</summary>
    Skipped = 3,
}
