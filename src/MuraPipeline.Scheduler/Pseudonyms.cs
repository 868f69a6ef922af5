using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MuraPipeline.Scheduler;

/// <summary>
/// Keyed pseudonyms: HMAC-SHA256 of the patient's identifier under a secret key. The same patient gets the same
/// pseudonym in every export; without the key a pseudonym cannot be tied back to a patient ID (not even by trying every
/// plausible ID, as a plain hash could be).
/// </summary>
public sealed class Pseudonyms(string key)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    /// <summary>16 decimal digits (the MURA layout's patient folders are patient + digits): a collision among a million patients has odds of about 1 in 20,000.</summary>
    public string Patient(string patientKey) =>
        (BinaryPrimitives.ReadUInt64BigEndian(Mac("patient", patientKey)) % 10_000_000_000_000_000UL).ToString("D16", CultureInfo.InvariantCulture);

    /// <summary>"valid" for about <paramref name="validPercent"/>% of patients, "train" for the rest; a patient's split never changes.</summary>
    public string Split(string patientKey, int validPercent) =>
        BinaryPrimitives.ReadUInt32BigEndian(Mac("split", patientKey)) % 100 < validPercent ? "valid" : "train";

    /// <summary>The identity a study's patient is pseudonymised from: the DICOM Patient ID, else the study itself (a patient of one study).</summary>
    public static string PatientKey(string? patientId, string studyInstanceUid) =>
        string.IsNullOrWhiteSpace(patientId) ? "study:" + studyInstanceUid : "id:" + patientId.Trim();

    private byte[] Mac(string purpose, string value) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(purpose + "\n" + value));
}
