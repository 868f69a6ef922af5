namespace MuraPipeline.DicomResults;

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
