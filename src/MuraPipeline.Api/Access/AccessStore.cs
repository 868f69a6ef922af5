using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>
/// Console users and API keys. Passwords are kept only as ASP.NET Core Identity's password hashes (PBKDF2, salted,
/// many iterations); keys only as the SHA-256 of the key, which carries 256 random bits. Every change is audited in
/// the same transaction as the change itself.
/// </summary>
public sealed partial class AccessStore(MuraDbContext db, AuditLog audit, TimeProvider clock, Microsoft.Extensions.Options.IOptions<ConsoleOptions> console)
{
    public const int MinPasswordLength = 12;

    /// <summary>
    /// Failed sign-ins, within <see cref="FailureWindow"/>, that one address may have for one name before each further
    /// attempt of that name from that address waits a cool-down.
    /// </summary>
    public const int FailuresPerName = 5;

    /// <summary>Failed sign-ins, within <see cref="FailureWindow"/>, that one address may have for all names together before it waits.</summary>
    public const int FailuresPerAddress = 20;

    /// <summary>The first wait; it doubles with every further failure, up to <see cref="MaxCooldown"/>.</summary>
    public static readonly TimeSpan FirstCooldown = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxCooldown = TimeSpan.FromMinutes(15);

    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);

    /// <summary>
    /// A name that many addresses together failed for is slowed, never refused: each attempt for it waits this much,
    /// doubling with each failure past <see cref="FailuresPerName"/>, up to <see cref="MaxNameDelay"/>, one attempt
    /// at a time per name on each api replica.
    /// </summary>
    public static readonly TimeSpan FirstNameDelay = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan MaxNameDelay = TimeSpan.FromSeconds(4);

    /// <summary>The audit action of an attempt refused unchecked during a cool-down; it is not a failure and extends nothing.</summary>
    public const string ThrottledAction = "signin.throttled";

    /// <summary>One attempt at a time for a name under attack: striped by the name's hash, so the table never grows.</summary>
    private static readonly SemaphoreSlim[] NameGates = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private const string KeyPrefix = "mura_";

    private static readonly PasswordHasher<ConsoleUser> Hasher = new();

    /// <summary>A hash of no one's password, checked when the name is unknown so that an unknown name takes as long as a wrong password.</summary>
    private static readonly string DecoyHash = Hasher.HashPassword(new ConsoleUser { Name = "-", PasswordHash = "-", SecurityStamp = "-" }, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));

    public async Task<ConsoleUser> AddUserAsync(string name, AccessRole role, string password, AuditActor by, CancellationToken ct)
    {
        CheckName(name);
        CheckPassword(password);
        if (await db.ConsoleUsers.AnyAsync(u => u.Name == name, ct))
        {
            throw new AccessException($"user {name} already exists");
        }

        var now = clock.GetUtcNow();
        var user = new ConsoleUser { Name = name, Role = role, PasswordHash = string.Empty, SecurityStamp = NewStamp(), CreatedAt = now, ChangedAt = now };
        user.PasswordHash = Hasher.HashPassword(user, password);
        db.ConsoleUsers.Add(user);
        audit.Stage(by.Did("user.add", name, $"role {role.Name()}"));
        await db.SaveChangesAsync(ct);
        return user;
    }

    public Task<List<ConsoleUser>> ListUsersAsync(CancellationToken ct) => db.ConsoleUsers.AsNoTracking().OrderBy(u => u.Name).ToListAsync(ct);

    /// <summary>Disables a user; their open sessions end at their next request.</summary>
    public async Task DisableUserAsync(string name, AuditActor by, CancellationToken ct)
    {
        var user = await RequireUserAsync(name, ct);
        user.Disabled = true;
        user.SecurityStamp = NewStamp();
        user.ChangedAt = clock.GetUtcNow();
        audit.Stage(by.Did("user.disable", name));
        await db.SaveChangesAsync(ct);
        await EndAsync(db.ConsoleSessions.Where(x => x.UserName == name), "user disabled", ct);
    }

    /// <summary>Sets a new password (and enables a disabled user); sessions signed in with the old one end.</summary>
    public async Task SetPasswordAsync(string name, string password, AuditActor by, CancellationToken ct)
    {
        CheckPassword(password);
        var user = await RequireUserAsync(name, ct);
        user.PasswordHash = Hasher.HashPassword(user, password);
        user.Disabled = false;
        user.SecurityStamp = NewStamp();
        user.ChangedAt = clock.GetUtcNow();
        audit.Stage(by.Did("user.passwd", name));
        await db.SaveChangesAsync(ct);
        await EndAsync(db.ConsoleSessions.Where(x => x.UserName == name), "password changed", ct);
    }

    public Task<bool> AnyAdminAsync(CancellationToken ct) => db.ConsoleUsers.AnyAsync(u => u.Role == AccessRole.Admin && !u.Disabled, ct);

    /// <summary>The user a session cookie names, when they still exist, are enabled and have not changed password since.</summary>
    public Task<ConsoleUser?> FindSessionUserAsync(string name, string stamp, CancellationToken ct) =>
        db.ConsoleUsers.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name && u.SecurityStamp == stamp && !u.Disabled, ct);

    /// <summary>
    /// Checks a name and password. An address that failed <see cref="FailuresPerName"/> times for this name, or
    /// <see cref="FailuresPerAddress"/> times for any, within <see cref="FailureWindow"/> waits a cool-down after its
    /// last failure (doubling); its attempts inside it are refused unchecked and audited as
    /// <see cref="ThrottledAction"/>, which counts as no failure. The same name tried from elsewhere is only slowed
    /// (<see cref="FirstNameDelay"/>), so nobody can lock a user out. Every attempt is audited.
    /// </summary>
    public async Task<SignInOutcome> SignInAsync(string name, string password, string address, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        name = name.Trim();
        if (name.Length > 64)
        {
            name = name[..64];
        }

        var (wait, nameFailures) = await CooldownAsync(name, address, now, ct);
        if (wait > TimeSpan.Zero)
        {
            await audit.RecordAsync(new AuditEntry(name, address, ThrottledAction, name, $"refused unchecked for {Math.Ceiling(wait.TotalSeconds):0} s more: too many failed sign-ins from this address", Succeeded: false), ct);
            return new SignInOutcome(null, "Too many failed sign-ins from here. Try again later.", wait);
        }

        if (nameFailures < FailuresPerName)
        {
            return await CheckAsync(name, password, address, ct);
        }

        var gate = NameGates[(int)((uint)StringComparer.Ordinal.GetHashCode(name) % (uint)NameGates.Length)];
        await gate.WaitAsync(ct);
        try
        {
            var delay = TimeSpan.FromTicks(Math.Min(MaxNameDelay.Ticks, FirstNameDelay.Ticks << Math.Min(nameFailures - FailuresPerName, 20)));
            await Task.Delay(delay, clock, ct);
            return await CheckAsync(name, password, address, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<SignInOutcome> CheckAsync(string name, string password, string address, CancellationToken ct)
    {
        var user = name.Length > 0 ? await db.ConsoleUsers.FirstOrDefaultAsync(u => u.Name == name, ct) : null;
        var result = Hasher.VerifyHashedPassword(user ?? new ConsoleUser { Name = name, PasswordHash = DecoyHash, SecurityStamp = "-" }, user?.PasswordHash ?? DecoyHash, password);
        if (user is null || user.Disabled || result == PasswordVerificationResult.Failed)
        {
            var why = user is null ? "unknown user" : user.Disabled ? "user disabled" : "wrong password";
            await audit.RecordAsync(new AuditEntry(name, address, "signin", name, why, Succeeded: false), ct);
            return new SignInOutcome(null, "Wrong user name or password.", null);
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password);
        }

        audit.Stage(new AuditEntry(name, address, "signin", name, $"role {user.Role.Name()}"));
        await db.SaveChangesAsync(ct);
        return new SignInOutcome(user, null, null);
    }

    /// <summary>
    /// Opens a server-side session for <paramref name="user"/> and returns its secret (for the cookie; the database
    /// keeps only its hash). Sessions that ended or expired a month ago are swept here.
    /// </summary>
    public async Task<string> StartSessionAsync(ConsoleUser user, string address, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        db.ConsoleSessions.Add(new ConsoleSession
        {
            Id = HashKey(secret),
            UserName = user.Name,
            Address = address.Length <= 64 ? address : address[..64],
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + TimeSpan.FromHours(console.Value.AbsoluteHours),
        });
        await db.SaveChangesAsync(ct);
        var swept = now - TimeSpan.FromDays(30);
        await db.ConsoleSessions.Where(x => x.ExpiresAt < swept).ExecuteDeleteAsync(ct);
        return secret;
    }

    /// <summary>
    /// Whether the session with <paramref name="secret"/> still stands for <paramref name="userName"/>: not ended, not
    /// idle past Console:IdleMinutes, not past its absolute end. A standing session is marked seen (at most once a
    /// minute); a lapsed one is ended with the reason.
    /// </summary>
    public async Task<bool> TouchSessionAsync(string secret, string userName, CancellationToken ct)
    {
        var id = HashKey(secret);
        var now = clock.GetUtcNow();
        var session = await db.ConsoleSessions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.UserName == userName, ct);
        if (session is null || session.EndedAt is not null)
        {
            return false;
        }

        var lapsed = now >= session.ExpiresAt ? "expired" : now - session.LastSeenAt > TimeSpan.FromMinutes(console.Value.IdleMinutes) ? "idle" : null;
        if (lapsed is not null)
        {
            await EndAsync(db.ConsoleSessions.Where(x => x.Id == id), lapsed, ct);
            return false;
        }

        if (now - session.LastSeenAt > TimeSpan.FromMinutes(1))
        {
            await db.ConsoleSessions.Where(x => x.Id == id && x.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.LastSeenAt, now), ct);
        }

        return true;
    }

    /// <summary>Ends one session (sign-out); its cookie, copied or not, opens nothing afterwards.</summary>
    public Task EndSessionAsync(string secret, string reason, CancellationToken ct)
    {
        var id = HashKey(secret);
        return EndAsync(db.ConsoleSessions.Where(x => x.Id == id), reason, ct);
    }

    /// <summary>The sessions open now, newest first.</summary>
    public Task<List<ConsoleSession>> OpenSessionsAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.ConsoleSessions.AsNoTracking().Where(x => x.EndedAt == null && x.ExpiresAt > now).OrderByDescending(x => x.CreatedAt).ToListAsync(ct);
    }

    private async Task EndAsync(IQueryable<ConsoleSession> sessions, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await sessions.Where(x => x.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.EndedAt, now).SetProperty(x => x.EndReason, reason), ct);
    }

    /// <summary>Makes a key and returns it: the only time it is shown.</summary>
    public async Task<(ApiKey Row, string Key)> AddKeyAsync(string name, AccessRole role, AuditActor by, CancellationToken ct)
    {
        CheckName(name);
        if (await db.ApiKeys.AnyAsync(k => k.Name == name, ct))
        {
            throw new AccessException($"key {name} already exists (revoked keys keep their names)");
        }

        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var row = new ApiKey { Name = name, Role = role, Hash = HashKey(key), Prefix = key[..(KeyPrefix.Length + 6)], CreatedAt = clock.GetUtcNow() };
        db.ApiKeys.Add(row);
        audit.Stage(by.Did("key.add", name, $"role {role.Name()}"));
        await db.SaveChangesAsync(ct);
        return (row, key);
    }

    public Task<List<ApiKey>> ListKeysAsync(CancellationToken ct) => db.ApiKeys.AsNoTracking().OrderBy(k => k.Name).ToListAsync(ct);

    public async Task RevokeKeyAsync(string name, AuditActor by, CancellationToken ct)
    {
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Name == name, ct) ?? throw new AccessException($"no key {name}");
        if (key.RevokedAt is not null)
        {
            return;
        }

        key.RevokedAt = clock.GetUtcNow();
        audit.Stage(by.Did("key.revoke", name));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The live key a client presented, or null (unknown or revoked).</summary>
    public async Task<ApiKey?> FindKeyAsync(string presented, CancellationToken ct)
    {
        if (!presented.StartsWith(KeyPrefix, StringComparison.Ordinal) || presented.Length > 128)
        {
            return null;
        }

        var hash = HashKey(presented);
        return await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, ct);
    }

    public static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>
    /// The wait this address must keep before trying <paramref name="name"/> (from its own failures for the name, and
    /// for all names), and how often the name failed from anywhere. Throttled attempts are not failures.
    /// </summary>
    private async Task<(TimeSpan Wait, int NameFailures)> CooldownAsync(string name, string address, DateTimeOffset now, CancellationToken ct)
    {
        var since = now - FailureWindow;
        var failed = db.AuditEvents.AsNoTracking().Where(e => e.Action == "signin" && !e.Succeeded && e.At >= since);
        var fromHere = await failed.Where(e => e.Address == address).Select(e => new { e.Actor, e.At }).ToListAsync(ct);
        var nameFailures = await failed.CountAsync(e => e.Actor == name, ct);
        TimeSpan Wait(List<DateTimeOffset> times, int allowed)
        {
            if (times.Count < allowed)
            {
                return TimeSpan.Zero;
            }

            var cooldown = TimeSpan.FromTicks(Math.Min(MaxCooldown.Ticks, FirstCooldown.Ticks << Math.Min(times.Count - allowed, 20)));
            var until = times.Max() + cooldown;
            return until > now ? until - now : TimeSpan.Zero;
        }

        var a = Wait([.. fromHere.Where(e => e.Actor == name).Select(e => e.At)], FailuresPerName);
        var b = Wait([.. fromHere.Select(e => e.At)], FailuresPerAddress);
        return (a > b ? a : b, nameFailures);
    }

    private async Task<ConsoleUser> RequireUserAsync(string name, CancellationToken ct) =>
        await db.ConsoleUsers.FirstOrDefaultAsync(u => u.Name == name, ct) ?? throw new AccessException($"no user {name}");

    private static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new AccessException($"'{name}' is not a usable name: 1-64 letters, digits, '.', '_', '-' or '@'");
        }
    }

    private static void CheckPassword(string password)
    {
        if (password.Length < MinPasswordLength)
        {
            throw new AccessException($"a password needs at least {MinPasswordLength} characters");
        }
    }

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex NamePattern();
}
