using MuraPipeline.Dicom;

namespace MuraPipeline.Pacs;

/// <summary>The query/retrieve attributes this project names.</summary>
public static class Tags
{
    public static readonly DicomTag QueryRetrieveLevel = new(0x0008, 0x0052);
    public static readonly DicomTag ModalitiesInStudy = new(0x0008, 0x0061);
    public static readonly DicomTag NumberOfStudyRelatedInstances = new(0x0020, 0x1208);
    public static readonly DicomTag NumberOfSeriesRelatedInstances = new(0x0020, 0x1209);
}
