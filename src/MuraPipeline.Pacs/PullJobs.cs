using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;

namespace MuraPipeline.Pacs;

/// <summary>A job's progress: studies by state.</summary>
public sealed record PullProgress(PullJob Job, int Pending, int Retrieving, int Received, int Failed, int Retrieved, int Skipped)
{
    public int Total => Pending + Retrieving + Received + Failed;
}

/// <summary>
/// Pull jobs in the database: recorded with one row per study, claimed study by study with a lease (so a crashed
/// puller's study is taken over once its lease lapses, and a study already received is never claimed again), and
/// read for `mura pacs jobs`, `mura status` and the console.
/// </summary>
public sealed class PullJobs(MuraDbContext db, AuditLog audit, TimeProvider clock)
{
    public async Task<PullJob> CreateAsync(string node, string retrieve, PacsQuery query, IReadOnlyList<StudyMatch> studies, int maxConcurrent, double studiesPerMinute, AuditActor by, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var job = new PullJob
        {
            Id = Guid.NewGuid(),
            Node = node,
            Retrieve = retrieve,
            Query = query.Describe(),
            MaxConcurrent = Math.Max(1, maxConcurrent),
            StudiesPerMinute = Math.Max(0, studiesPerMinute),
            CreatedBy = by.Name,
            CreatedAt = now,
            State = studies.Count == 0 ? PullJobState.Done : PullJobState.Active,
            FinishedAt = studies.Count == 0 ? now : null,
        };
        foreach (var s in studies)
        {
            job.Studies.Add(new PullStudy
            {
                Id = Guid.NewGuid(),
                StudyInstanceUid = s.StudyInstanceUid,
                StudyDate = s.StudyDate,
                Modalities = Trim(string.Join(',', s.Modalities), 64),
                BodyPart = Trim(s.BodyPart, 64),
                Instances = s.Instances,
            });
        }

        db.PullJobs.Add(job);
        audit.Stage(by.Did("pull", job.Id.ToString(), $"{node} by {retrieve}: {job.Query}; {studies.Count} studies"));
        await db.SaveChangesAsync(ct);
        return job;
    }

    public Task<PullJob?> FindAsync(Guid id, CancellationToken ct) => db.PullJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);

    /// <summary>The jobs, newest first, with their counts.</summary>
    public async Task<IReadOnlyList<PullProgress>> ListAsync(int take, CancellationToken ct) =>
        await ProgressAsync(await db.PullJobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).Take(take).ToListAsync(ct), ct);

    /// <summary>One job's counts, or null when there is no such job.</summary>
    public async Task<PullProgress?> ProgressAsync(Guid jobId, CancellationToken ct) =>
        (await ProgressAsync(await db.PullJobs.AsNoTracking().Where(j => j.Id == jobId).ToListAsync(ct), ct)).FirstOrDefault();

    private async Task<IReadOnlyList<PullProgress>> ProgressAsync(List<PullJob> jobs, CancellationToken ct)
    {
        var ids = jobs.Select(j => j.Id).ToList();
        var counts = await db.PullStudies.AsNoTracking().Where(s => ids.Contains(s.JobId))
            .GroupBy(s => new { s.JobId, s.State })
            .Select(g => new { g.Key.JobId, g.Key.State, Count = g.Count(), Retrieved = g.Sum(s => s.Retrieved), Skipped = g.Sum(s => s.Skipped) })
            .ToListAsync(ct);
        return [.. jobs.Select(j =>
        {
            int Of(PullStudyState state) => counts.Where(c => c.JobId == j.Id && c.State == state).Sum(c => c.Count);
            var mine = counts.Where(c => c.JobId == j.Id).ToList();
            return new PullProgress(j, Of(PullStudyState.Pending), Of(PullStudyState.Retrieving), Of(PullStudyState.Received), Of(PullStudyState.Failed), mine.Sum(c => c.Retrieved), mine.Sum(c => c.Skipped));
        })];
    }

    public Task<List<PullStudy>> StudiesAsync(Guid jobId, CancellationToken ct) =>
        db.PullStudies.AsNoTracking().Where(s => s.JobId == jobId).OrderBy(s => s.StudyDate).ThenBy(s => s.StudyInstanceUid).ToListAsync(ct);

    /// <summary>Active jobs, oldest first.</summary>
    public Task<List<PullJob>> ActiveAsync(CancellationToken ct) =>
        db.PullJobs.AsNoTracking().Where(j => j.State == PullJobState.Active).OrderBy(j => j.CreatedAt).ToListAsync(ct);

    /// <summary>
    /// Claims the job's next study that is pending (and not waiting out a retry delay) or whose puller's lease has
    /// lapsed; null when none can be taken now. The claim is one conditional update, so two pullers never take the
    /// same study.
    /// </summary>
    public async Task<PullStudy?> ClaimAsync(Guid jobId, string owner, TimeSpan lease, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = clock.GetUtcNow();
            var candidate = await Claimable(db.PullStudies.Where(s => s.JobId == jobId), now)
                .OrderBy(s => s.State).ThenBy(s => s.StudyDate).ThenBy(s => s.StudyInstanceUid)
                .Select(s => (Guid?)s.Id).FirstOrDefaultAsync(ct);
            if (candidate is not { } id)
            {
                return null;
            }

            var until = now + lease;
            var taken = await Claimable(db.PullStudies.Where(s => s.Id == id), now).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.State, PullStudyState.Retrieving)
                .SetProperty(s => s.LeaseOwner, owner)
                .SetProperty(s => s.LeaseUntil, until)
                .SetProperty(s => s.Attempts, s => s.Attempts + 1)
                .SetProperty(s => s.StartedAt, now), ct);
            if (taken == 1)
            {
                return await db.PullStudies.AsNoTracking().FirstAsync(s => s.Id == id, ct);
            }
        }

        return null;
    }

    private static IQueryable<PullStudy> Claimable(IQueryable<PullStudy> q, DateTimeOffset now) =>
        q.Where(s => (s.State == PullStudyState.Pending && (s.NotBefore == null || s.NotBefore <= now))
                  || (s.State == PullStudyState.Retrieving && s.LeaseUntil < now));

    /// <summary>Whether the job still has work: studies pending or being retrieved (by anyone).</summary>
    public Task<bool> HasWorkAsync(Guid jobId, CancellationToken ct) =>
        db.PullStudies.AnyAsync(s => s.JobId == jobId && (s.State == PullStudyState.Pending || s.State == PullStudyState.Retrieving), ct);

    public async Task<bool> RenewAsync(Guid studyId, string owner, TimeSpan lease, CancellationToken ct)
    {
        var until = clock.GetUtcNow() + lease;
        return await db.PullStudies.Where(s => s.Id == studyId && s.LeaseOwner == owner && s.State == PullStudyState.Retrieving)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.LeaseUntil, until), ct) == 1;
    }

    /// <summary>Whether another pull already brought this study in, or our database has at least <paramref name="instances"/> of its views.</summary>
    public async Task<string?> AlreadyHereAsync(Guid studyId, string studyUid, int? instances, CancellationToken ct)
    {
        if (await db.PullStudies.AnyAsync(s => s.StudyInstanceUid == studyUid && s.Id != studyId && s.State == PullStudyState.Received && s.Retrieved > 0, ct))
        {
            return "already pulled by an earlier job; not pulled again";
        }

        if (instances is > 0 && await db.Studies.AsNoTracking().Where(s => s.StudyInstanceUid == studyUid).Select(s => (int?)s.ViewCount).FirstOrDefaultAsync(ct) is { } views && views >= instances)
        {
            return $"already here ({views} views); not pulled again";
        }

        return null;
    }

    /// <summary>Ends one attempt of a study (only while this puller still holds it): received, failed for good, or back to pending after a delay.</summary>
    public async Task<bool> FinishAsync(Guid studyId, string owner, PullStudyState state, int retrieved, int skipped, int failedInstances, string? reason, DateTimeOffset? notBefore, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var finished = state is PullStudyState.Received or PullStudyState.Failed ? now : (DateTimeOffset?)null;
        var cut = reason is { Length: > 1024 } ? reason[..1024] : reason;
        var n = await db.PullStudies.Where(s => s.Id == studyId && s.LeaseOwner == owner && s.State == PullStudyState.Retrieving)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.State, state)
                .SetProperty(s => s.Retrieved, s => s.Retrieved + retrieved)
                .SetProperty(s => s.Skipped, skipped)
                .SetProperty(s => s.FailedInstances, failedInstances)
                .SetProperty(s => s.Reason, cut)
                .SetProperty(s => s.NotBefore, notBefore)
                .SetProperty(s => s.LeaseOwner, (string?)null)
                .SetProperty(s => s.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(s => s.FinishedAt, finished), ct);
        return n == 1;
    }

    /// <summary>Marks the job done once none of its studies is pending or being retrieved.</summary>
    public async Task<bool> CompleteIfDoneAsync(Guid jobId, CancellationToken ct)
    {
        if (await HasWorkAsync(jobId, ct))
        {
            return false;
        }

        var now = clock.GetUtcNow();
        await db.PullJobs.Where(j => j.Id == jobId && j.State == PullJobState.Active)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.State, PullJobState.Done).SetProperty(j => j.FinishedAt, now), ct);
        return true;
    }

    private static string? Trim(string? s, int max) => s is { } v && v.Length > max ? v[..max] : (string.IsNullOrEmpty(s) ? null : s);
}
