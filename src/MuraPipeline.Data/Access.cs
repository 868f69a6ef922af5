using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

/// <summary>What a signed-in user or an API key may do; each role can do everything the ones below it can.</summary>
public enum AccessRole
{
    /// <summary>The worklist, heatmaps and verdicts.</summary>
    Reader = 1,

    /// <summary>A reader's rights, plus queues, failures, replay, exports and the models list.</summary>
    Operator = 2,

    /// <summary>An operator's rights, plus users, keys, model activation and the settings view.</summary>
    Admin = 3,
}

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

/// <summary>A machine client's key: stored as the SHA-256 of the key (the key has 256 random bits), shown once.</summary>
public sealed class ApiKey
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public AccessRole Role { get; set; }

    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public required string Hash { get; set; }

    /// <summary>The key's first characters, to tell keys apart in a list.</summary>
    public required string Prefix { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>One audited action. The application only ever adds these rows.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Who: a user name, <c>key:NAME</c>, <c>cli:ACCOUNT</c>, or the name a failed sign-in gave.</summary>
    public required string Actor { get; set; }

    /// <summary>From where: the client's address, or <c>local</c> for the command line.</summary>
    public required string Address { get; set; }

    /// <summary>What, as a dotted verb: <c>signin</c>, <c>verdict.add</c>, <c>user.add</c>, <c>key.revoke</c>, <c>model.activate</c> …</summary>
    public required string Action { get; set; }

    /// <summary>What it was done to: a user, key, study or model.</summary>
    public string? Target { get; set; }

    public string? Detail { get; set; }

    public bool Succeeded { get; set; }
}

/// <summary>What to write in the audit trail.</summary>
public sealed record AuditEntry(string Actor, string Address, string Action, string? Target, string? Detail, bool Succeeded = true);

/// <summary>Who acts, and from where.</summary>
public sealed record AuditActor(string Name, string Address)
{
    /// <summary>Whoever runs an admin command on this machine.</summary>
    public static AuditActor CommandLine => new($"cli:{Environment.UserName}", "local");

    public AuditEntry Did(string action, string? target, string? detail = null, bool succeeded = true) => new(Name, Address, action, target, detail, succeeded);
}

/// <summary>The audit trail: appended to, read by operators and admins, never changed.</summary>
public sealed class AuditLog(MuraDbContext db, TimeProvider clock)
{
    public const int ActorLength = 128;
    public const int DetailLength = 2000;

    public async Task RecordAsync(AuditEntry entry, CancellationToken ct)
    {
        db.Add(ToRow(entry));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Adds the row to the context without saving, so it commits with the caller's own change.</summary>
    public void Stage(AuditEntry entry) => db.Add(ToRow(entry));

    /// <summary>The newest events first, at most <paramref name="take"/>, older than <paramref name="beforeId"/> when given (keyset paging).</summary>
    public Task<List<AuditEvent>> ListAsync(int take, long? beforeId, string? action, string? actor, CancellationToken ct)
    {
        var q = db.AuditEvents.AsNoTracking();
        if (beforeId is { } before)
        {
            q = q.Where(e => e.Id < before);
        }

        if (!string.IsNullOrEmpty(action))
        {
            q = q.Where(e => e.Action == action);
        }

        if (!string.IsNullOrEmpty(actor))
        {
            q = q.Where(e => e.Actor == actor);
        }

        return q.OrderByDescending(e => e.Id).Take(Math.Clamp(take, 1, 1000)).ToListAsync(ct);
    }

    private AuditEvent ToRow(AuditEntry e) => new()
    {
        At = clock.GetUtcNow(),
        Actor = Clip(e.Actor, ActorLength),
        Address = Clip(e.Address, 64),
        Action = Clip(e.Action, 64),
        Target = e.Target is null ? null : Clip(e.Target, 256),
        Detail = e.Detail is null ? null : Clip(e.Detail, DetailLength),
        Succeeded = e.Succeeded,
    };

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];
}

internal sealed class ConsoleUserConfiguration : IEntityTypeConfiguration<ConsoleUser>
{
    public void Configure(EntityTypeBuilder<ConsoleUser> b)
    {
        b.ToTable("console_users");
        b.HasKey(u => u.Id);
        b.HasIndex(u => u.Name).IsUnique();
        b.Property(u => u.Name).HasMaxLength(64);
        b.Property(u => u.PasswordHash).HasMaxLength(256);
        b.Property(u => u.SecurityStamp).HasMaxLength(64);
    }
}

internal sealed class ConsoleSessionConfiguration : IEntityTypeConfiguration<ConsoleSession>
{
    public void Configure(EntityTypeBuilder<ConsoleSession> b)
    {
        b.ToTable("console_sessions");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.UserName, x.EndedAt });
        b.HasIndex(x => x.ExpiresAt);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.UserName).HasMaxLength(64);
        b.Property(x => x.Address).HasMaxLength(64);
        b.Property(x => x.EndReason).HasMaxLength(64);
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.HasKey(k => k.Id);
        b.HasIndex(k => k.Name).IsUnique();
        b.HasIndex(k => k.Hash).IsUnique();
        b.Property(k => k.Name).HasMaxLength(64);
        b.Property(k => k.Hash).HasMaxLength(64);
        b.Property(k => k.Prefix).HasMaxLength(16);
    }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("audit_events");
        b.HasKey(e => e.Id);
        b.Property(e => e.Id).ValueGeneratedOnAdd();
        b.HasIndex(e => new { e.Action, e.At });
        b.HasIndex(e => new { e.Actor, e.Id });
        b.Property(e => e.Actor).HasMaxLength(AuditLog.ActorLength);
        b.Property(e => e.Address).HasMaxLength(64);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Target).HasMaxLength(256);
        b.Property(e => e.Detail).HasMaxLength(AuditLog.DetailLength);
    }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey> b) => b.ToTable("data_protection_keys");
}

/// <summary>A serve process as it last reported itself: its roles, the model it scores with and when it last scored a batch.</summary>
public sealed class Replica
{
    /// <summary>Host name and process id, e.g. <c>worker-3:4711</c>.</summary>
    public required string Id { get; set; }

    public required string Roles { get; set; }

    public string? ModelSha256 { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    public DateTimeOffset? LastBatchAt { get; set; }

    public long Batches { get; set; }
}

internal sealed class ReplicaConfiguration : IEntityTypeConfiguration<Replica>
{
    public void Configure(EntityTypeBuilder<Replica> b)
    {
        b.ToTable("replicas");
        b.HasKey(r => r.Id);
        b.Property(r => r.Id).HasMaxLength(128);
        b.Property(r => r.Roles).HasMaxLength(64);
        b.Property(r => r.ModelSha256).HasMaxLength(64);
        b.HasIndex(r => r.LastSeenAt);
    }
}
