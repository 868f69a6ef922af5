using Microsoft.EntityFrameworkCore;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom.Network;


namespace MuraPipeline.Pacs;

/// <summary>
/// Pull jobs in the database: recorded with one row per study (streamed in as the search finds them, so a backlog of
/// any size takes bounded memory), claimed study by study with a lease (so a crashed puller's study is taken over once
/// its lease lapses, and a study already received is never claimed again), and read for `mura pacs jobs`,
/// `mura status` and the console.
/// </summary>
public sealed class PullJobs(MuraDbContext db, AuditLog audit, StudyTypeResolver types, TimeProvider clock)
{
    /// <summary>
    /// Searches the node for <paramref name="query"/> and records a job of every match, streamed in chunk by chunk. A
    /// search the PACS's cap keeps from being complete leaves no job and throws <see cref="IncompleteSearchException"/>.
    /// </summary>
    public async Task<(PullJob Job, SearchSummary Search)> RecordAsync(DicomClient client, string node, PacsNode nodeOptions, PacsQuery query, int maxConcurrent, double studiesPerMinute, AuditActor by, CancellationToken ct)
    {
        var job = await BeginAsync(node, nodeOptions.Retrieve, query, maxConcurrent, studiesPerMinute, ct);
        try
        {
            var search = await PacsFinder.SearchAsync(client, query, nodeOptions.MaxResults, withSeries: false, types, async (chunk, token) => await AddStudiesAsync(job.Id, chunk, token), clock, ct);
            return (await OpenAsync(job.Id, search, by, ct), search);
        }
        catch
        {
            await AbandonAsync(job.Id, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Records a job with all its studies at once (tests, and study lists known up front).</summary>
    public async Task<PullJob> CreateAsync(string node, string retrieve, PacsQuery query, IReadOnlyList<StudyMatch> studies, int maxConcurrent, double studiesPerMinute, AuditActor by, CancellationToken ct)
    {
        var job = await BeginAsync(node, retrieve, query, maxConcurrent, studiesPerMinute, ct);
        foreach (var chunk in studies.Chunk(PacsFinder.Chunk))
        {
            await AddStudiesAsync(job.Id, chunk, ct);
        }

        return await OpenAsync(job.Id, new SearchSummary(0, 0), by, ct);
    }

    /// <summary>A new job, Searching: no puller takes it until <see cref="OpenAsync"/>.</summary>
    public async Task<PullJob> BeginAsync(string node, string retrieve, PacsQuery query, int maxConcurrent, double studiesPerMinute, CancellationToken ct)
    {
        var job = new PullJob
        {
            Id = Guid.NewGuid(),
            Node = node,
            Retrieve = retrieve,
            Query = query.Describe(),
            MaxConcurrent = Math.Max(1, maxConcurrent),
            StudiesPerMinute = Math.Max(0, studiesPerMinute),
            CreatedBy = "searching",
            CreatedAt = clock.GetUtcNow(),
            State = PullJobState.Searching,
        };
        db.PullJobs.Add(job);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return job;
    }

    /// <summary>Adds a chunk of the search's matches to a job; a study the job already has is not added again. Returns how many were new.</summary>
    public async Task<int> AddStudiesAsync(Guid jobId, IReadOnlyList<StudyMatch> studies, CancellationToken ct)
    {
        var uids = studies.Select(s => s.StudyInstanceUid).Distinct(StringComparer.Ordinal).ToList();
        var known = (await db.PullStudies.AsNoTracking().Where(s => s.JobId == jobId && uids.Contains(s.StudyInstanceUid)).Select(s => s.StudyInstanceUid).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        var added = 0;
        foreach (var s in studies)
        {
            if (!known.Add(s.StudyInstanceUid))
            {
                continue;
            }

            db.PullStudies.Add(new PullStudy
            {
                Id = Guid.NewGuid(),
                JobId = jobId,
                StudyInstanceUid = s.StudyInstanceUid,
                StudyDate = s.StudyDate is { Length: <= 8 } d ? d : null,
                Modalities = Trim(string.Join(',', s.Modalities), 64),
                BodyPart = Trim(s.BodyPart, 64),
                Instances = s.Instances,
            });
            added++;
        }

        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return added;
    }

    /// <summary>Ends the search: the job becomes Active (Done when nothing matched) and is audited with its count.</summary>
    public async Task<PullJob> OpenAsync(Guid jobId, SearchSummary search, AuditActor by, CancellationToken ct)
    {
        var count = await db.PullStudies.CountAsync(s => s.JobId == jobId, ct);
        var job = await db.PullJobs.FirstAsync(j => j.Id == jobId, ct);
        job.State = count == 0 ? PullJobState.Done : PullJobState.Active;
        job.FinishedAt = count == 0 ? clock.GetUtcNow() : null;
        job.CreatedBy = by.Name;
        job.SearchQueries = search.Queries;
        audit.Stage(by.Did("pull", job.Id.ToString(), $"{job.Node} by {job.Retrieve}: {job.Query}; {count} studies{(search.Queries > 1 ? $" ({search.Queries} queries)" : string.Empty)}"));
        await db.SaveChangesAsync(ct);
        return job;
    }

    /// <summary>A search that could not be completed leaves no job behind: its rows go, in one statement.</summary>
    public Task AbandonAsync(Guid jobId, CancellationToken ct) =>
        db.PullJobs.Where(j => j.Id == jobId && j.State == PullJobState.Searching).ExecuteDeleteAsync(ct);

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
            .Select(g => new { g.Key.JobId, g.Key.State, Count = g.Count(), Retrieved = g.Sum(s => s.Retrieved), Skipped = g.Sum(s => s.Skipped), FirstStarted = g.Min(s => s.StartedAt) })
            .ToListAsync(ct);
        var hourAgo = clock.GetUtcNow().AddHours(-1);
        var lastHour = await db.PullStudies.AsNoTracking().Where(s => ids.Contains(s.JobId) && s.FinishedAt >= hourAgo)
            .GroupBy(s => s.JobId).Select(g => new { JobId = g.Key, Count = g.Count() }).ToListAsync(ct);
        return [.. jobs.Select(j =>
        {
            int Of(PullStudyState state) => counts.Where(c => c.JobId == j.Id && c.State == state).Sum(c => c.Count);
            var mine = counts.Where(c => c.JobId == j.Id).ToList();
            return new PullProgress(j, Of(PullStudyState.Pending), Of(PullStudyState.Retrieving), Of(PullStudyState.Received), Of(PullStudyState.Failed), Of(PullStudyState.Incomplete),
                mine.Sum(c => c.Retrieved), mine.Sum(c => c.Skipped), lastHour.Where(c => c.JobId == j.Id).Sum(c => c.Count), mine.Min(c => c.FirstStarted));
        })];
    }

    public Task<List<PullStudy>> StudiesAsync(Guid jobId, CancellationToken ct, int take = int.MaxValue) =>
        db.PullStudies.AsNoTracking().Where(s => s.JobId == jobId).OrderBy(s => s.StudyDate).ThenBy(s => s.StudyInstanceUid).Take(take).ToListAsync(ct);

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
            // Pending studies first, then lapsed leases: each one seek on (JobId, State, StudyDate, StudyInstanceUid), never a walk past the studies already received.
            var candidate = await NextPending(jobId, now).Select(id => (Guid?)id).FirstOrDefaultAsync(ct)
                ?? await db.PullStudies.Where(s => s.JobId == jobId && s.State == PullStudyState.Retrieving && s.LeaseUntil < now)
                    .OrderBy(s => s.StudyDate).ThenBy(s => s.StudyInstanceUid).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(ct);
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

    /// <summary>The job's pending studies that may start now, in the order they are claimed.</summary>
    public IQueryable<Guid> NextPending(Guid jobId, DateTimeOffset now) =>
        db.PullStudies.Where(s => s.JobId == jobId && s.State == PullStudyState.Pending && (s.NotBefore == null || s.NotBefore <= now))
            .OrderBy(s => s.StudyDate).ThenBy(s => s.StudyInstanceUid).Select(s => s.Id);

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

    /// <summary>Ends one attempt of a study (only while this puller still holds it): received, failed or incomplete for good, or back to pending after a delay.</summary>
    public async Task<bool> FinishAsync(Guid studyId, string owner, PullStudyState state, int retrieved, int skipped, int failedInstances, string? reason, DateTimeOffset? notBefore, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var finished = state is PullStudyState.Received or PullStudyState.Failed or PullStudyState.Incomplete ? now : (DateTimeOffset?)null;
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
