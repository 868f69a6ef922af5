using System.Globalization;
using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>SR content items (PS3.3 C.17.3): each is a data set with its relationship, value type, concept name and value.</summary>
internal static class Content
{
    public static DicomDataset Container(string? relationship, Code concept, IEnumerable<DicomDataset> children, string? template = null)
    {
        var d = Head(relationship, "CONTAINER", concept);
        d.AddString(Tags.ContinuityOfContent, "CS", "SEPARATE");
        if (template is not null)
        {
            var t = new DicomDataset();
            t.AddString(Tags.MappingResource, "CS", "DCMR");
            t.AddString(Tags.TemplateIdentifier, "CS", template);
            d.AddSequence(Tags.ContentTemplateSequence, [t]);
        }

        d.AddSequence(Tags.ContentSequence, [.. children]);
        return d;
    }

    public static DicomDataset CodeItem(string relationship, Code concept, Code value)
    {
        var d = Head(relationship, "CODE", concept);
        d.AddSequence(Tags.ConceptCodeSequence, [value.Item()]);
        return d;
    }

    public static DicomDataset Text(string relationship, Code concept, string value)
    {
        var d = Head(relationship, "TEXT", concept);
        d.AddString(Tags.TextValue, "UT", value);
        return d;
    }

    public static DicomDataset UidRef(string relationship, Code concept, string uid)
    {
        var d = Head(relationship, "UIDREF", concept);
        d.AddString(Tags.Uid, "UI", uid);
        return d;
    }

    public static DicomDataset Num(string relationship, Code concept, double value, Code units, IEnumerable<DicomDataset>? children = null)
    {
        var d = Head(relationship, "NUM", concept);
        var measured = new DicomDataset();
        measured.AddSequence(Tags.MeasurementUnitsCodeSequence, [units.Item()]);
        measured.AddString(Tags.NumericValue, "DS", Decimal(value));
        d.AddSequence(Tags.MeasuredValueSequence, [measured]);
        if (children is not null)
        {
            d.AddSequence(Tags.ContentSequence, [.. children]);
        }

        return d;
    }

    public static DicomDataset Image(string relationship, Code? concept, string sopClass, string sopInstance)
    {
        var d = new DicomDataset();
        d.AddString(Tags.RelationshipType, "CS", relationship);
        d.AddString(Tags.ValueType, "CS", "IMAGE");
        if (concept is not null)
        {
            d.AddSequence(Tags.ConceptNameCodeSequence, [concept.Item()]);
        }

        d.AddSequence(Tags.ReferencedSopSequence, [Reference(sopClass, sopInstance)]);
        return d;
    }

    public static DicomDataset Reference(string sopClass, string sopInstance)
    {
        var r = new DicomDataset();
        r.AddString(Tags.ReferencedSopClassUid, "UI", sopClass);
        r.AddString(Tags.ReferencedSopInstanceUid, "UI", sopInstance);
        return r;
    }

    /// <summary>A DS value: at most 16 characters, no exponent for the probabilities and thresholds we write.</summary>
    public static string Decimal(double value)
    {
        var s = Math.Round(value, 6).ToString("0.######", CultureInfo.InvariantCulture);
        return s.Length <= 16 ? s : value.ToString("G10", CultureInfo.InvariantCulture);
    }

    private static DicomDataset Head(string? relationship, string valueType, Code concept)
    {
        var d = new DicomDataset();
        if (relationship is not null)
        {
            d.AddString(Tags.RelationshipType, "CS", relationship);
        }

        d.AddString(Tags.ValueType, "CS", valueType);
        d.AddSequence(Tags.ConceptNameCodeSequence, [concept.Item()]);
        return d;
    }
}
