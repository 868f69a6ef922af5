using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>A coded concept: value, coding scheme and meaning (PS3.3 8.8).</summary>
public sealed record Code(string Value, string Scheme, string Meaning)
{
    public DicomDataset Item()
    {
        var d = new DicomDataset();
        d.AddString(Tags.CodeValue, "SH", Value);
        d.AddString(Tags.CodingSchemeDesignator, "SH", Scheme);
        d.AddString(Tags.CodeMeaning, "LO", Meaning);
        return d;
    }
}
