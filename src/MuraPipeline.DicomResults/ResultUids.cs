using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using MuraPipeline.Dicom;

namespace MuraPipeline.DicomResults;

/// <summary>
/// New UIDs, derived from what they name (study, model version, object kind, view) so building the objects of a study
/// again gives the same UIDs: a resend is the same object, a re-score by another model a new one.
/// </summary>
public static class ResultUids
{
    public static string For(string root, params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        if (string.IsNullOrWhiteSpace(root))
        {
            // 2.25 followed by a 128-bit unsigned decimal (PS3.5 B.2): always at most 64 characters.
            return "2.25." + new BigInteger(hash.AsSpan(0, 16), isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var room = 64 - root.Length - 1;
        if (room < 10 || !DicomUids.IsValid(root))
        {
            throw new DicomException($"Results:UidRoot '{root}' is not a UID root that leaves room for our numbers (digits and dots, at most 54 characters)");
        }

        var digits = new BigInteger(hash, isUnsigned: true, isBigEndian: true).ToString(System.Globalization.CultureInfo.InvariantCulture);
        digits = digits[..Math.Min(room, digits.Length)].TrimStart('0');
        return $"{root}.{(digits.Length == 0 ? "1" : digits)}";
    }
}
