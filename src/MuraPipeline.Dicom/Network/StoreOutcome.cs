namespace MuraPipeline.Dicom.Network;

/// <summary>The outcome of sending one file: the DIMSE status, or why it was not sent.</summary>
public sealed record StoreOutcome(string Path, string SopInstanceUid, ushort? Status, string? Error)
{
    public bool Succeeded => Status is 0x0000 or 0xB000 or 0xB007 or 0xB006;
}
