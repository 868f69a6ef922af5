using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>One object built for a study: what it is, and the file.</summary>
public sealed record ResultObject(string Kind, string SopClassUid, string SopInstanceUid, string SeriesInstanceUid, string? ViewSopInstanceUid, DicomFile File)
{
    public byte[] Encode()
    {
        using var ms = new MemoryStream();
        DicomWriter.Write(ms, File);
        return ms.ToArray();
    }
}
