namespace MuraPipeline.Data;

/// <summary>A console user: a name, a role, and a salted slow hash of the password (never the password).</summary>
public sealed class ConsoleUser
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public AccessRole Role { get; set; }

    public required string PasswordHash { get; set; }

    public bool Disabled { get; set; }

    /// <summary>Changes when the password changes or the user is disabled, so the sessions signed in before end.</summary>
    public required string SecurityStamp { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ChangedAt { get; set; }
}
