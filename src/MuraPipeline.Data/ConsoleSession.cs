namespace MuraPipeline.Data;

/// <summary>
/// A browser session, kept on the server so it can be ended there: at sign-out, when its user is disabled or changes
/// password, when idle too long, and at its absolute end however busy. The cookie carries a random secret; this row
/// only its SHA-256, so a copy of the database names no live session.
/// </summary>
public sealed class ConsoleSession
{
    /// <summary>Lower-case hex SHA-256 of the secret the cookie carries.</summary>
    public required string Id { get; set; }

    public required string UserName { get; set; }

    public required string Address { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>The absolute end: the session is over at this time whatever its use.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Why it ended: signed out, user disabled, password changed, idle, expired.</summary>
    public string? EndReason { get; set; }
}
