using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>
/// Ground truth: readers' verdicts, all kept, the latest per study wins. Writers take one lock for the length of their
/// transaction (an advisory lock on PostgreSQL; SQLite has one writer anyway), so Ids become visible in the order
/// they are handed out and an export that has read every verdict up to Id N will never later see one below N.
/// </summary>
public sealed class GroundTruthStore(MuraDbContext db, TimeProvider clock)
{
    /// <summary>The advisory lock key verdict writers share ("MURAGT" in ASCII).</summary>
    private const long VerdictLock = 0x4D5552414754;

    /// <summary>
    /// Records verdicts in one transaction. A verdict identical to one already recorded (same study, reader, read time,
    /// label and body part: an import run twice) is not recorded again.
    /// </summary>
    public Task<VerdictsRecorded> AddAsync(IReadOnlyList<VerdictInput> verdicts, string source, CancellationToken ct) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(token);
            if (db.Database.IsNpgsql())
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_xact_lock({VerdictLock})", token);
            }

            var uids = verdicts.Select(v => v.StudyInstanceUid).Distinct(StringComparer.Ordinal).ToList();
            var known = new HashSet<string>(StringComparer.Ordinal);
            var existing = new List<Verdict>();
            foreach (var chunk in uids.Chunk(500))
            {
                known.UnionWith(await db.Studies.AsNoTracking().Where(s => chunk.Contains(s.StudyInstanceUid)).Select(s => s.StudyInstanceUid).ToListAsync(token));
                existing.AddRange(await db.Verdicts.AsNoTracking().Where(v => chunk.Contains(v.StudyInstanceUid)).ToListAsync(token));
            }

            var seen = existing.Select(Key).ToHashSet();
            var now = clock.GetUtcNow();
            var added = new List<Verdict>();
            var duplicates = 0;
            foreach (var v in verdicts)
            {
                var row = new Verdict
                {
                    StudyInstanceUid = v.StudyInstanceUid,
                    Abnormal = v.Abnormal,
                    BodyPart = v.BodyPart,
                    ReaderId = v.ReaderId,
                    ReadAt = v.ReadAt ?? now,
                    RecordedAt = now,
                    Source = source.Length > 256 ? source[..256] : source,
                };
                if (v.ReadAt is not null && !seen.Add(Key(row)))
                {
                    duplicates++;
                    continue;
                }

                added.Add(row);
            }

            db.Verdicts.AddRange(added);
            await db.SaveChangesAsync(token);
            await tx.CommitAsync(token);
            db.ChangeTracker.Clear();
            return new VerdictsRecorded(added.Count, duplicates, uids.Count(u => !known.Contains(u)), added.Count == 0 ? null : added.Max(a => a.Id));
        }, ct);

    /// <summary>Every verdict on a study, oldest first (the audit trail).</summary>
    public Task<List<Verdict>> HistoryAsync(string studyInstanceUid, CancellationToken ct) =>
        db.Verdicts.AsNoTracking().Where(v => v.StudyInstanceUid == studyInstanceUid).OrderBy(v => v.Id).ToListAsync(ct);

    /// <summary>The latest verdict of every study that has one, restricted to <paramref name="uids"/> when given.</summary>
    public async Task<Dictionary<string, Verdict>> LatestAsync(IReadOnlyCollection<string>? uids, CancellationToken ct)
    {
        var query = db.Verdicts.AsNoTracking();
        if (uids is not null)
        {
            query = query.Where(v => uids.Contains(v.StudyInstanceUid));
        }

        var latestIds = query.GroupBy(v => v.StudyInstanceUid).Select(g => g.Max(v => v.Id));
        return await db.Verdicts.AsNoTracking().Where(v => latestIds.Contains(v.Id)).ToDictionaryAsync(v => v.StudyInstanceUid, StringComparer.Ordinal, ct);
    }

    private static (string, string, DateTimeOffset, bool, string?) Key(Verdict v) => (v.StudyInstanceUid, v.ReaderId, v.ReadAt, v.Abnormal, v.BodyPart);
}
