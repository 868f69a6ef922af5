using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Pacs;

/// <summary>
/// Works a pull job: claims its studies one at a time on each of <see cref="PullJob.MaxConcurrent"/> lanes, paced to
/// <see cref="PullJob.StudiesPerMinute"/>, and retrieves each study's wanted series (CR, DX and SC of the seven study
/// types) by C-MOVE to our receiver or by C-GET into the watched folder. A study is Received once the PACS reports
/// every sub-operation complete: each instance was then acknowledged by our receiver, which answers only after the
/// file is on disk. A failed attempt waits and is tried again up to Pacs:MaxAttempts times; a refused move destination
/// fails at once. Whatever one study does, the job goes on with the next.
/// </summary>
public sealed partial class Puller(IServiceScopeFactory scopes, IOptions<PacsOptions> options, DicomTls tls, PullTarget target, StorageWatch storage, StudyTypeResolver types, TimeProvider clock, ILogger<Puller> logger)
{
    private readonly PacsOptions _options = options.Value;
    private readonly string _owner = Owner();

    private static string Owner()
    {
        var owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        return owner.Length > 128 ? owner[^128..] : owner;
    }

    /// <summary>
    /// Runs the job until none of its studies is pending or being retrieved, or <paramref name="mayStart"/> says no
    /// more may start (the studies in flight finish), or <paramref name="ct"/> ends (then what is in flight is left to
    /// its lease).
    /// </summary>
    public async Task<PullRunSummary> RunAsync(Guid jobId, CancellationToken ct, Func<bool>? mayStart = null)
    {
        PullJob job;
        await using (var scope = scopes.CreateAsyncScope())
        {
            job = await scope.ServiceProvider.GetRequiredService<PullJobs>().FindAsync(jobId, ct)
                ?? throw new PacsConfigurationException($"no pull job {jobId}");
        }

        var client = _options.Client(job.Node, tls);
        if (job.Retrieve == "get" && string.IsNullOrWhiteSpace(target.ReceiveDir))
        {
            throw new PacsConfigurationException("a C-GET pull writes into the watched folder: set Ingest:WatchDir");
        }

        var pace = new Pacer(job.StudiesPerMinute, clock);
        var tally = new Tally();
        var lanes = Enumerable.Range(0, Math.Max(1, job.MaxConcurrent)).Select(_ => LaneAsync(job, client, pace, tally, mayStart ?? (() => true), ct)).ToList();
        await Task.WhenAll(lanes);
        await using (var scope = scopes.CreateAsyncScope())
        {
            if (await scope.ServiceProvider.GetRequiredService<PullJobs>().CompleteIfDoneAsync(jobId, ct))
            {
                LogJobDone(logger, jobId, tally.Received, tally.AlreadyHere, tally.Failed);
            }
        }

        return new PullRunSummary(tally.Received, tally.AlreadyHere, tally.Failed, tally.Retried);
    }

    private async Task LaneAsync(PullJob job, DicomClient client, Pacer pace, Tally tally, Func<bool> mayStart, CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(_options.LeaseSeconds);
        string? waiting = null;
        while (!ct.IsCancellationRequested && mayStart())
        {
            // Below the inbox's free-space watermark no study starts: the job waits (it does not fail) and goes on once space is back.
            var low = storage.Low("inbox");
            if (low != waiting)
            {
                if (low is null)
                {
                    LogResumed(logger, job.Id);
                }
                else
                {
                    LogPaused(logger, job.Id, low);
                }

                waiting = low;
            }

            if (low is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), clock, ct);
                continue;
            }

            PullStudy? study;
            bool hasWork;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var jobs = scope.ServiceProvider.GetRequiredService<PullJobs>();
                study = await jobs.ClaimAsync(job.Id, _owner, lease, ct);
                hasWork = study is not null || await jobs.HasWorkAsync(job.Id, ct);
            }

            if (study is null)
            {
                if (!hasWork)
                {
                    return;
                }

                // Another puller holds a study (or its lease is lapsing after a crash), or a retry is waiting out its delay.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(lease.TotalMilliseconds / 10, 200, 5000)), clock, ct);
                continue;
            }

            await pace.WaitAsync(ct);
            await PullStudyAsync(job, client, study, lease, tally, ct);
        }
    }

    private async Task PullStudyAsync(PullJob job, DicomClient client, PullStudy study, TimeSpan lease, Tally tally, CancellationToken ct)
    {
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewal = RenewAsync(study.Id, lease, renewing.Token);
        var retrieved = 0;
        var skipped = 0;
        try
        {
            var series = await PacsFinder.FindSeriesAsync(client, study.StudyInstanceUid, types, ct);
            var wanted = series.Where(s => s.Wanted).ToList();
            skipped = series.Where(s => !s.Wanted).Sum(s => s.Instances ?? 0);
            var expected = wanted.All(s => s.Instances is not null) ? wanted.Sum(s => s.Instances!.Value) : (int?)null;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var jobs = scope.ServiceProvider.GetRequiredService<PullJobs>();
                if (await jobs.AlreadyHereAsync(study.Id, study.StudyInstanceUid, expected, ct) is { } here)
                {
                    await jobs.FinishAsync(study.Id, _owner, PullStudyState.Received, 0, skipped, 0, here, null, ct);
                    MuraMetrics.PullStudies.WithLabels("already_here").Inc();
                    Interlocked.Increment(ref tally.AlreadyHere);
                    LogAlreadyHere(logger, study.StudyInstanceUid, here);
                    return;
                }
            }

            var failedInstances = 0;
            var problems = new List<string>();
            foreach (var s in wanted)
            {
                var id = PacsFinder.SeriesRetrieveIdentifier(study.StudyInstanceUid, s.SeriesInstanceUid);
                var outcome = job.Retrieve == "get"
                    ? await client.GetAsync(id, StoreScpOptions.RadiographSopClasses, StoreScpOptions.ReadableTransferSyntaxes, target.ReceiveDir!, job.Node, ct)
                    : await client.MoveAsync(id, _options.ResolvedMoveDestination, ct);
                var arrived = job.Retrieve == "get" ? outcome.Stored.Count : outcome.Completed + outcome.Warning;
                retrieved += arrived;
                MuraMetrics.PulledInstances.WithLabels(job.Retrieve).Inc(arrived);
                if (outcome.Status == 0xA801)
                {
                    throw new PermanentPullException($"the PACS refused the move destination '{_options.ResolvedMoveDestination}' (status 0xA801): add our receiver to its known AE titles, or pull by C-GET");
                }

                if (!outcome.Ended)
                {
                    var hint = job.Retrieve == "move" && outcome.Completed == 0
                        ? $"nothing arrived: is '{_options.ResolvedMoveDestination}' among the AE titles the PACS may move to, at our receiver's address?"
                        : null;
                    var comment = string.Join("; ", new[] { outcome.ErrorComment, hint }.Where(c => !string.IsNullOrWhiteSpace(c)));
                    throw new DicomStatusException($"C-{job.Retrieve.ToUpperInvariant()} of series {s.SeriesInstanceUid}", outcome.Status, comment);
                }

                if (outcome.Failed > 0)
                {
                    failedInstances += outcome.Failed;
                    problems.Add($"{outcome.Failed} of {outcome.Failed + outcome.Completed + outcome.Warning} instances of series {s.SeriesInstanceUid} did not arrive{(string.IsNullOrWhiteSpace(outcome.ErrorComment) ? string.Empty : ": " + outcome.ErrorComment)}");
                }
            }

            if (problems.Count > 0)
            {
                throw new IncompletePullException(string.Join("; ", problems), failedInstances);
            }

            if (expected is { } e && retrieved < e)
            {
                // The PACS said success, yet fewer arrived than its own series counts: not "received".
                throw new ShortRetrieveException($"the PACS reported the retrieve complete, but {retrieved} of the {e} instances its query listed arrived", e, retrieved);
            }

            await using (var scope = scopes.CreateAsyncScope())
            {
                var note = skipped > 0 ? $"{skipped} instances of other series (not CR, DX or SC of the seven study types) left on the PACS" : null;
                await scope.ServiceProvider.GetRequiredService<PullJobs>().FinishAsync(study.Id, _owner, PullStudyState.Received, retrieved, skipped, 0, note, null, ct);
            }

            MuraMetrics.PullStudies.WithLabels("received").Inc();
            Interlocked.Increment(ref tally.Received);
            LogReceived(logger, study.StudyInstanceUid, retrieved, skipped);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is DicomProtocolException or DicomStatusException or DicomException or IOException or SocketException
            or OperationCanceledException or PermanentPullException or IncompletePullException or ShortRetrieveException)
        {
            var reason = ex switch
            {
                SocketException se => $"cannot reach the PACS {job.Node}: {se.Message}",
                OperationCanceledException => $"the PACS {job.Node} did not answer within {_options.TimeoutSeconds} s",
                _ => ex.Message,
            };
            var permanent = ex is PermanentPullException || study.Attempts >= _options.MaxAttempts;
            var failedInstances = ex is IncompletePullException ipe ? ipe.FailedInstances : 0;
            var state = !permanent ? PullStudyState.Pending : ex is ShortRetrieveException ? PullStudyState.Incomplete : PullStudyState.Failed;
            var wait = TimeSpan.FromSeconds(_options.RetryDelaySeconds * Math.Pow(2, Math.Max(0, study.Attempts - 1)));
            var text = permanent
                ? $"{reason} (attempt {study.Attempts} of {_options.MaxAttempts}; {(state == PullStudyState.Incomplete ? "incomplete" : "failed")})"
                : $"{reason} (attempt {study.Attempts} of {_options.MaxAttempts}; next try in {wait.TotalSeconds:0} s)";
            await using (var scope = scopes.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<PullJobs>().FinishAsync(study.Id, _owner, state, retrieved, skipped, failedInstances, text,
                    permanent ? null : clock.GetUtcNow() + wait, CancellationToken.None);
            }

            if (permanent)
            {
                MuraMetrics.PullStudies.WithLabels(state == PullStudyState.Incomplete ? "incomplete" : "failed").Inc();
                Interlocked.Increment(ref tally.Failed);
                LogFailed(logger, study.StudyInstanceUid, text);
            }
            else
            {
                Interlocked.Increment(ref tally.Retried);
                LogRetry(logger, study.StudyInstanceUid, text);
            }
        }
        finally
        {
            await renewing.CancelAsync();
            await renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RenewAsync(Guid studyId, TimeSpan lease, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(lease / 3, clock);
        while (await timer.WaitForNextTickAsync(ct))
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<PullJobs>().RenewAsync(studyId, _owner, lease, ct);
        }
    }

    private sealed class Tally
    {
        public int Received;
        public int AlreadyHere;
        public int Failed;
        public int Retried;
    }

    /// <summary>Spaces study starts across all lanes so that at most N begin per minute.</summary>
    private sealed class Pacer(double perMinute, TimeProvider clock)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private DateTimeOffset _next = DateTimeOffset.MinValue;

        public async Task WaitAsync(CancellationToken ct)
        {
            if (perMinute <= 0)
            {
                return;
            }

            await _gate.WaitAsync(ct);
            try
            {
                var now = clock.GetUtcNow();
                if (_next > now)
                {
                    await Task.Delay(_next - now, clock, ct);
                    now = _next;
                }

                _next = now + TimeSpan.FromMinutes(1 / perMinute);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pulled study {StudyUid}: {Retrieved} instances received, {Skipped} left on the PACS")]
    private static partial void LogReceived(ILogger logger, string studyUid, int retrieved, int skipped);

    [LoggerMessage(Level = LogLevel.Information, Message = "study {StudyUid} not pulled: {Reason}")]
    private static partial void LogAlreadyHere(ILogger logger, string studyUid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pull of study {StudyUid} will be tried again: {Reason}")]
    private static partial void LogRetry(ILogger logger, string studyUid, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "pull of study {StudyUid} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string studyUid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pull job {JobId} paused: {Reason}")]
    private static partial void LogPaused(ILogger logger, Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "pull job {JobId} goes on: space is back above the watermark")]
    private static partial void LogResumed(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "pull job {JobId} done: {Received} studies received, {AlreadyHere} already here, {Failed} failed")]
    private static partial void LogJobDone(ILogger logger, Guid jobId, int received, int alreadyHere, int failed);
}
