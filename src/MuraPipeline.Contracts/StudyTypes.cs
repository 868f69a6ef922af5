namespace MuraPipeline.Contracts;

/// <summary>The seven MURA study types, in the order of the model contract's <c>body_part</c> output.</summary>
public static class StudyTypes
{
    public static readonly IReadOnlyList<string> All = ["ELBOW", "FINGER", "FOREARM", "HAND", "HUMERUS", "SHOULDER", "WRIST"];

    /// <summary>Maps a DICOM Body Part Examined value or a MURA folder name (XR_WRIST) to a study type, or null.</summary>
    public static string? Normalise(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var v = value.Trim().ToUpperInvariant();
        if (v.StartsWith("XR_", StringComparison.Ordinal))
        {
            v = v[3..];
        }

        return v switch
        {
            "UPPER ARM" or "ARM" => "HUMERUS",
            "THUMB" => "FINGER",
            "LOWER ARM" => "FOREARM",
            _ => All.Contains(v) ? v : null,
        };
    }
}
