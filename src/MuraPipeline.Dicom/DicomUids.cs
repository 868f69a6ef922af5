namespace MuraPipeline.Dicom;

/// <summary>Transfer syntaxes and SOP classes this pipeline names.</summary>
public static class DicomUids
{
    public const string ImplicitVrLittleEndian = "1.2.840.10008.1.2";
    public const string ExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
    public const string DeflatedExplicitVrLittleEndian = "1.2.840.10008.1.2.1.99";
    public const string ExplicitVrBigEndian = "1.2.840.10008.1.2.2";
    public const string JpegBaseline = "1.2.840.10008.1.2.4.50";
    public const string JpegExtended = "1.2.840.10008.1.2.4.51";
    public const string JpegLossless = "1.2.840.10008.1.2.4.57";
    public const string JpegLosslessSv1 = "1.2.840.10008.1.2.4.70";
    public const string JpegLsLossless = "1.2.840.10008.1.2.4.80";
    public const string JpegLsNearLossless = "1.2.840.10008.1.2.4.81";
    public const string Jpeg2000Lossless = "1.2.840.10008.1.2.4.90";
    public const string Jpeg2000 = "1.2.840.10008.1.2.4.91";
    public const string Htj2kLossless = "1.2.840.10008.1.2.4.201";
    public const string Htj2kLosslessRpcl = "1.2.840.10008.1.2.4.202";
    public const string Htj2k = "1.2.840.10008.1.2.4.203";
    public const string RleLossless = "1.2.840.10008.1.2.5";
    public const string VerificationSopClass = "1.2.840.10008.1.1";

    public const string ComputedRadiographyImageStorage = "1.2.840.10008.5.1.4.1.1.1";
    public const string DigitalXRayImageStorageForPresentation = "1.2.840.10008.5.1.4.1.1.1.1";
    public const string DigitalXRayImageStorageForProcessing = "1.2.840.10008.5.1.4.1.1.1.1.1";
    public const string SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7";
    public const string Comprehensive3DSrStorage = "1.2.840.10008.5.1.4.1.1.88.34";

    public const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    public const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    public const string StudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";

    /// <summary>Our implementation class UID (2.25 form, derived from a fixed UUID).</summary>
    public const string ImplementationClassUid = "2.25.195339546126519358131095431409395117489";
    public const string ImplementationVersionName = "MURAPIPE_1";

    /// <summary>UID syntax (PS3.5 9.1): digits and dots, no empty or zero-led component, at most 64 characters.</summary>
    public static bool IsValid(string? uid) =>
        uid is { Length: > 0 and <= 64 } && uid.Split('.').All(c => c.Length > 0 && c.All(char.IsAsciiDigit) && (c.Length == 1 || c[0] != '0'));

    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        [ImplicitVrLittleEndian] = "Implicit VR Little Endian",
        [ExplicitVrLittleEndian] = "Explicit VR Little Endian",
        [DeflatedExplicitVrLittleEndian] = "Deflated Explicit VR Little Endian",
        [ExplicitVrBigEndian] = "Explicit VR Big Endian",
        ["1.2.840.10008.1.2.4.50"] = "JPEG Baseline (Process 1)",
        ["1.2.840.10008.1.2.4.51"] = "JPEG Extended (Process 2 & 4)",
        ["1.2.840.10008.1.2.4.57"] = "JPEG Lossless (Process 14)",
        ["1.2.840.10008.1.2.4.70"] = "JPEG Lossless SV1 (Process 14, Selection Value 1)",
        ["1.2.840.10008.1.2.4.80"] = "JPEG-LS Lossless",
        ["1.2.840.10008.1.2.4.81"] = "JPEG-LS Near-Lossless",
        ["1.2.840.10008.1.2.4.90"] = "JPEG 2000 Lossless",
        ["1.2.840.10008.1.2.4.91"] = "JPEG 2000",
        [Htj2kLossless] = "High-Throughput JPEG 2000 Lossless",
        [Htj2kLosslessRpcl] = "High-Throughput JPEG 2000 with RPCL Options Lossless",
        [Htj2k] = "High-Throughput JPEG 2000",
        ["1.2.840.10008.1.2.5"] = "RLE Lossless",
        [VerificationSopClass] = "Verification",
        [ComputedRadiographyImageStorage] = "Computed Radiography Image Storage",
        [DigitalXRayImageStorageForPresentation] = "Digital X-Ray Image Storage - For Presentation",
        [DigitalXRayImageStorageForProcessing] = "Digital X-Ray Image Storage - For Processing",
        [SecondaryCaptureImageStorage] = "Secondary Capture Image Storage",
        ["1.2.840.10008.5.1.4.1.1.88.11"] = "Basic Text SR Storage",
        ["1.2.840.10008.5.1.4.1.1.88.22"] = "Enhanced SR Storage",
        ["1.2.840.10008.5.1.4.1.1.88.33"] = "Comprehensive SR Storage",
        [Comprehensive3DSrStorage] = "Comprehensive 3D SR Storage",
        [StudyRootFind] = "Study Root Query/Retrieve - FIND",
        [StudyRootMove] = "Study Root Query/Retrieve - MOVE",
        [StudyRootGet] = "Study Root Query/Retrieve - GET",
        ["1.2.840.10008.5.1.4.1.1.11.1"] = "Grayscale Softcopy Presentation State Storage",
        ["1.2.840.10008.5.1.4.1.1.104.1"] = "Encapsulated PDF Storage",
        ["1.2.840.10008.5.1.4.1.1.66"] = "Raw Data Storage",
        ["1.2.840.10008.5.1.4.1.1.2"] = "CT Image Storage",
        ["1.2.840.10008.5.1.4.1.1.4"] = "MR Image Storage",
        ["1.2.840.10008.5.1.4.1.1.481.3"] = "RT Structure Set Storage",
    };

    /// <summary>JPEG 2000 and HTJ2K: one code stream a frame, which OpenJPEG decodes, at a reduced resolution when asked.</summary>
    public static bool IsJpeg2000Family(string? uid) => uid is Jpeg2000Lossless or Jpeg2000 or Htj2kLossless or Htj2kLosslessRpcl or Htj2k;

    /// <summary>"Name (uid)" where the name is known, else the UID alone.</summary>
    public static string Describe(string? uid) =>
        string.IsNullOrEmpty(uid) ? "(none)" : Names.TryGetValue(uid, out var n) ? $"{n} ({uid})" : uid;
}
