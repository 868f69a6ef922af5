namespace MuraPipeline.Dicom.Network;

/// <summary>How a C-FIND ended: its final status and comment, and how many matches came before it.</summary>
public sealed record FindAnswer(ushort Status, string? ErrorComment, int Matches)
{
    public bool Succeeded => Status == DimseCommand.Success;

    /// <summary>
    /// The SCP stopped before the end of its matches: Cancel (0xFE00, what Orthanc's LimitFindResults sends) or Out of
    /// Resources (0xA7xx) after at least one match. A narrower query may be answered in full.
    /// </summary>
    public bool Capped => Status == 0xFE00 || (Status & 0xFF00) == 0xA700;
}
