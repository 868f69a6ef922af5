namespace MuraPipeline.Dicom;

/// <summary>UIDs derived from names (the 2.25 form of PS3.5 B.2): the same name always gives the same UID.</summary>
public static class DicomUid
{
    public static string FromName(string name)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        // A name-based (version 5 style) UUID from the first 16 bytes.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(hash);
        return "2.25." + value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
