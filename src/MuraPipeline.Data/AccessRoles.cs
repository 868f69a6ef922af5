namespace MuraPipeline.Data;

public static class AccessRoles
{
    public static readonly AccessRole[] All = [AccessRole.Reader, AccessRole.Operator, AccessRole.Admin];

    /// <summary>The role's name as users type it and claims carry it: reader, operator, admin.</summary>
    public static string Name(this AccessRole role) => role switch
    {
        AccessRole.Reader => "reader",
        AccessRole.Operator => "operator",
        AccessRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a role"),
    };

    public static AccessRole Parse(string text) =>
        All.FirstOrDefault(r => string.Equals(r.Name(), text.Trim(), StringComparison.OrdinalIgnoreCase)) is var role && role != 0
            ? role
            : throw new ArgumentException($"role '{text}' is not one of {string.Join(", ", All.Select(r => r.Name()))}");

    /// <summary>Whether a holder of <paramref name="held"/> may do what <paramref name="needed"/> may.</summary>
    public static bool Includes(this AccessRole held, AccessRole needed) => held >= needed;
}
