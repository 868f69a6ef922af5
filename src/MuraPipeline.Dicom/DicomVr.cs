namespace MuraPipeline.Dicom;

/// <summary>Value representations, with the facts the encoder and decoder need.</summary>
public static class DicomVr
{
    /// <summary>VRs whose explicit encoding uses a reserved 2 bytes and a 4-byte length.</summary>
    private static readonly HashSet<string> LongForm = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"];

    private static readonly HashSet<string> Known =
    [
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW",
        "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV",
    ];

    public static bool IsKnown(string vr) => Known.Contains(vr);

    public static bool HasLongLength(string vr) => LongForm.Contains(vr);

    /// <summary>Text VRs are padded with a space, UI with a NUL, binary VRs with a zero byte.</summary>
    public static byte PadByte(string vr) => vr switch
    {
        "UI" => 0,
        "AE" or "AS" or "CS" or "DA" or "DS" or "DT" or "IS" or "LO" or "LT" or "PN" or "SH" or "ST" or "TM" or "UC" or "UR" or "UT" => (byte)' ',
        _ => 0,
    };

    public static bool IsText(string vr) => PadByte(vr) == (byte)' ' || vr == "UI";

    /// <summary>
    /// The VR of tags this pipeline reads, for implicit-VR data sets (which carry no VR on the wire).
    /// Tags not listed here are kept as raw bytes with VR "UN", so nothing is dropped.
    /// </summary>
    public static string ForImplicit(DicomTag tag)
    {
        if (tag.Element == 0x0000)
        {
            return "UL";
        }

        return tag.Value switch
        {
            0x00020001 => "OB",
            0x00020002 or 0x00020003 or 0x00020010 or 0x00020012 or 0x00080016 or 0x00080018 or 0x0020000D or 0x0020000E => "UI",
            0x00020013 => "SH",
            0x00080005 or 0x00080008 or 0x00080052 or 0x00080060 or 0x00080061 or 0x00180015 or 0x00185101 or 0x00200060 or 0x00200062 or 0x00280004 or 0x00281056 or 0x20500020 or 0x00100040 => "CS",
            0x00080020 or 0x00100030 => "DA",
            0x00080030 => "TM",
            0x00080050 or 0x00200010 => "SH",
            0x00080070 or 0x00080080 or 0x00081030 or 0x0008103E or 0x00100020 or 0x00281054 or 0x00181030 or 0x00321060 => "LO",
            0x00100010 => "PN",
            0x00200011 or 0x00200013 or 0x00280008 or 0x00201206 or 0x00201208 or 0x00201209 => "IS",
            0x00280002 or 0x00280006 or 0x00280010 or 0x00280011 or 0x00280100 or 0x00280101 or 0x00280102 or 0x00280103 => "US",
            0x00181164 or 0x00280030 or 0x00281050 or 0x00281051 or 0x00281052 or 0x00281053 => "DS",
            0x00283010 or 0x00282000 or 0x00081115 or 0x00081140 or 0x00400260 or 0x0040A730 or 0x00081110 or 0x00081111 or 0x00082218 or 0x00540220 => "SQ",
            0x00283002 => "US",
            0x00283006 => "OW",
            0x7FE00010 => "OW",
            _ => "UN",
        };
    }
}
