using System.Globalization;
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

/// <summary>The codes our objects use: DICOM (DCM), SNOMED CT (SCT), UCUM, UMLS, and our own private scheme (99MURA) where no standard concept fits.</summary>
public static class Codes
{
    public static readonly Code ImagingMeasurementReport = new("126000", "DCM", "Imaging Measurement Report");
    public static readonly Code LanguageOfContent = new("121049", "DCM", "Language of Content Item and Descendants");
    public static readonly Code English = new("en-US", "RFC5646", "English (United States)");
    public static readonly Code ObserverType = new("121005", "DCM", "Observer Type");
    public static readonly Code Device = new("121007", "DCM", "Device");
    public static readonly Code DeviceObserverUid = new("121012", "DCM", "Device Observer UID");
    public static readonly Code DeviceObserverName = new("121013", "DCM", "Device Observer Name");
    public static readonly Code DeviceObserverManufacturer = new("121014", "DCM", "Device Observer Manufacturer");
    public static readonly Code DeviceObserverModelName = new("121015", "DCM", "Device Observer Model Name");
    public static readonly Code ProcedureReported = new("121058", "DCM", "Procedure reported");
    public static readonly Code Radiography = new("363680008", "SCT", "Radiographic imaging procedure");
    public static readonly Code ImageLibrary = new("111028", "DCM", "Image Library");
    public static readonly Code ImageLibraryGroup = new("126200", "DCM", "Image Library Group");
    public static readonly Code ImagingMeasurements = new("126010", "DCM", "Imaging Measurements");
    public static readonly Code MeasurementGroup = new("125007", "DCM", "Measurement Group");
    public static readonly Code TrackingIdentifier = new("112039", "DCM", "Tracking Identifier");
    public static readonly Code TrackingUniqueIdentifier = new("112040", "DCM", "Tracking Unique Identifier");
    public static readonly Code FindingSite = new("363698007", "SCT", "Finding Site");
    public static readonly Code QualitativeEvaluations = new("C0034375", "UMLS", "Qualitative Evaluations");
    public static readonly Code Finding = new("121071", "DCM", "Finding");
    public static readonly Code Abnormal = new("263654008", "SCT", "Abnormal");
    public static readonly Code Normal = new("17621005", "SCT", "Normal");
    public static readonly Code NoUnits = new("1", "UCUM", "no units");
    public static readonly Code ProcessingEquipment = new("109102", "DCM", "Processing Equipment");
    public static readonly Code AbnormalityProbability = new("ABNPROB", "99MURA", "Probability of abnormality");
    public static readonly Code StudyScore = new("STUDYSCORE", "99MURA", "Study abnormality score (mean of views)");
    public static readonly Code DecisionThreshold = new("THRESHOLD", "99MURA", "Decision threshold");
    public static readonly Code PredictedBodyPart = new("PREDPART", "99MURA", "Predicted body part");
    public static readonly Code StudyTypeSource = new("TYPESOURCE", "99MURA", "Study type source");

    /// <summary>The seven study types as SNOMED CT anatomic structures (CID 4031 Common Anatomic Regions).</summary>
    public static Code? Anatomy(string? studyType) => studyType?.ToUpperInvariant() switch
    {
        "ELBOW" => new("16953009", "SCT", "Elbow joint"),
        "FINGER" => new("7569003", "SCT", "Finger"),
        "FOREARM" => new("14975008", "SCT", "Forearm"),
        "HAND" => new("85562004", "SCT", "Hand"),
        "HUMERUS" => new("85050009", "SCT", "Humerus"),
        "SHOULDER" => new("16982005", "SCT", "Shoulder"),
        "WRIST" => new("74670003", "SCT", "Wrist joint"),
        _ => null,
    };
}

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

/// <summary>The attributes the result objects write.</summary>
public static class Tags
{
    public static readonly DicomTag InstanceCreationDate = new(0x0008, 0x0012);
    public static readonly DicomTag InstanceCreationTime = new(0x0008, 0x0013);
    public static readonly DicomTag SeriesDate = new(0x0008, 0x0021);
    public static readonly DicomTag ContentDate = new(0x0008, 0x0023);
    public static readonly DicomTag SeriesTime = new(0x0008, 0x0031);
    public static readonly DicomTag ContentTime = new(0x0008, 0x0033);
    public static readonly DicomTag ConversionType = new(0x0008, 0x0064);
    public static readonly DicomTag CodeValue = new(0x0008, 0x0100);
    public static readonly DicomTag CodingSchemeDesignator = new(0x0008, 0x0102);
    public static readonly DicomTag CodeMeaning = new(0x0008, 0x0104);
    public static readonly DicomTag MappingResource = new(0x0008, 0x0105);
    public static readonly DicomTag CodingSchemeIdentificationSequence = new(0x0008, 0x0110);
    public static readonly DicomTag CodingSchemeName = new(0x0008, 0x0115);
    public static readonly DicomTag CodingSchemeResponsibleOrganization = new(0x0008, 0x0116);
    public static readonly DicomTag ReferringPhysicianName = new(0x0008, 0x0090);
    public static readonly DicomTag ManufacturerModelName = new(0x0008, 0x1090);
    public static readonly DicomTag ReferencedPerformedProcedureStepSequence = new(0x0008, 0x1111);
    public static readonly DicomTag ReferencedSeriesSequence = new(0x0008, 0x1115);
    public static readonly DicomTag ReferencedSopClassUid = new(0x0008, 0x1150);
    public static readonly DicomTag ReferencedSopInstanceUid = new(0x0008, 0x1155);
    public static readonly DicomTag ReferencedSopSequence = new(0x0008, 0x1199);
    public static readonly DicomTag DerivationDescription = new(0x0008, 0x2111);
    public static readonly DicomTag SourceImageSequence = new(0x0008, 0x2112);
    public static readonly DicomTag BurnedInAnnotation = new(0x0028, 0x0301);
    public static readonly DicomTag DeviceSerialNumber = new(0x0018, 0x1000);
    public static readonly DicomTag SoftwareVersions = new(0x0018, 0x1020);
    public static readonly DicomTag ContributingEquipmentSequence = new(0x0018, 0xA001);
    public static readonly DicomTag ContributionDateTime = new(0x0018, 0xA002);
    public static readonly DicomTag ContributionDescription = new(0x0018, 0xA003);
    public static readonly DicomTag PatientOrientation = new(0x0020, 0x0020);
    public static readonly DicomTag LossyImageCompression = new(0x0028, 0x2110);
    public static readonly DicomTag PurposeOfReferenceCodeSequence = new(0x0040, 0xA170);
    public static readonly DicomTag RelationshipType = new(0x0040, 0xA010);
    public static readonly DicomTag ValueType = new(0x0040, 0xA040);
    public static readonly DicomTag ConceptNameCodeSequence = new(0x0040, 0xA043);
    public static readonly DicomTag ContinuityOfContent = new(0x0040, 0xA050);
    public static readonly DicomTag Uid = new(0x0040, 0xA124);
    public static readonly DicomTag TextValue = new(0x0040, 0xA160);
    public static readonly DicomTag ConceptCodeSequence = new(0x0040, 0xA168);
    public static readonly DicomTag MeasuredValueSequence = new(0x0040, 0xA300);
    public static readonly DicomTag NumericValue = new(0x0040, 0xA30A);
    public static readonly DicomTag MeasurementUnitsCodeSequence = new(0x0040, 0x08EA);
    public static readonly DicomTag PerformedProcedureCodeSequence = new(0x0040, 0xA372);
    public static readonly DicomTag CurrentRequestedProcedureEvidenceSequence = new(0x0040, 0xA375);
    public static readonly DicomTag CompletionFlag = new(0x0040, 0xA491);
    public static readonly DicomTag VerificationFlag = new(0x0040, 0xA493);
    public static readonly DicomTag ContentTemplateSequence = new(0x0040, 0xA504);
    public static readonly DicomTag ContentSequence = new(0x0040, 0xA730);
    public static readonly DicomTag TemplateIdentifier = new(0x0040, 0xDB00);
}
