namespace MuraPipeline.Dicom.Network;

/// <summary>What a C-MOVE or C-GET ended with: its final status and sub-operation counts, and the files a C-GET stored.</summary>
public sealed record RetrieveOutcome(ushort Status, int Completed, int Failed, int Warning, string? ErrorComment, IReadOnlyList<string> Stored)
{
    /// <summary>Success, or the warning that some sub-operations failed (then <see cref="Failed"/> says how many).</summary>
    public bool Ended => Status is DimseCommand.Success or DimseCommand.SubOperationsWarning;
}
