using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

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
