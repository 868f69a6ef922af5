using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>
/// Ingest's one writer: every file's registration goes through a bounded queue to a single loop that commits whatever
/// has gathered since its last commit in one transaction (group commit). Reading, decoding and making derivatives run
/// in parallel outside it; only the rows are written one transaction at a time, so the database's write lock is held
/// once per group, not once per file, and the time a view holds it stays a fraction of a millisecond however many
/// cores feed it. A group that loses a race to another replica is written again file by file. A file's caller waits
/// for its own outcome; nothing is disposed of (archived, moved) before its rows are committed.
/// </summary>
public sealed partial class RegistrationWriter : IAsyncDisposable
{
    /// <summary>Files in one transaction at most: a group this size commits in tens of milliseconds on SQLite.</summary>
    public const int MaxGroup = 256;

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(4 * MaxGroup) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<RegistrationWriter> _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lazy<Task> _loop;
    private long _views;
    private long _commits;
    private long _heldTicks;

    public RegistrationWriter(IServiceScopeFactory scopes, ILogger<RegistrationWriter> logger)
    {
        _scopes = scopes;
        _logger = logger;
        _loop = new Lazy<Task>(() => Task.Run(() => LoopAsync(_stop.Token)));
    }

    /// <summary>What the writer has done since the process started.</summary>
    public WriterTally Tally => new(Interlocked.Read(ref _views), Interlocked.Read(ref _commits), TimeSpan.FromTicks(Interlocked.Read(ref _heldTicks)));

    /// <summary>Registers one file (see <see cref="StudyStore.RegisterAsync"/>) in the next group the writer commits.</summary>
    public async Task<Registration> RegisterAsync(InstanceFile file, Derivative? derivative, string? error, CancellationToken ct)
    {
        _ = _loop.Value;
        var pending = new Pending(file, derivative, error, new TaskCompletionSource<Registration>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        return await pending.Done.Task.WaitAsync(ct);
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        var group = new List<Pending>(MaxGroup);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stop))
            {
                group.Clear();
                while (group.Count < MaxGroup && _queue.Reader.TryRead(out var p))
                {
                    group.Add(p);
                }

                await WriteAsync(group, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutting down: whatever is left was never committed, and its callers hear so below.
        }

        foreach (var p in group.Where(p => !p.Done.Task.IsCompleted))
        {
            p.Done.TrySetCanceled(stop);
        }

        while (_queue.Reader.TryRead(out var p))
        {
            p.Done.TrySetCanceled(stop);
        }
    }

    /// <summary>Adds a written group to the tally, before its callers hear their outcomes (so a caller's next look at <see cref="Tally"/> includes its own file).</summary>
    private void Count(int views, TimeSpan held)
    {
        Interlocked.Add(ref _heldTicks, held.Ticks);
        Interlocked.Add(ref _views, views);
        Interlocked.Increment(ref _commits);
        MuraMetrics.IngestWriterSeconds.Inc(held.TotalSeconds);
        MuraMetrics.IngestWriterGroups.Observe(views);
    }

    /// <summary>Writes one group and counts how long its transactions held the database.</summary>
    private async Task WriteAsync(List<Pending> group, CancellationToken ct)
    {
        var held = TimeSpan.Zero;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<StudyStore>();
            try
            {
                var results = await store.RegisterManyAsync(group.Select(p => (p.File, p.Derivative, p.Error)).ToList(), ct);
                Count(group.Count, store.Held);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Done.TrySetResult(results[i]);
                }

                return;
            }
            finally
            {
                held = store.Held;
            }
        }
        catch (DbUpdateException ex)
        {
            // Another replica wrote one of these instances or studies first: each file on its own finds the winner's rows.
            LogGroupRetried(_logger, group.Count, ex.InnerException?.Message ?? ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The database is away, or something in the group cannot be written: every caller hears it and keeps its file.
            Count(group.Count, held);
            foreach (var p in group)
            {
                p.Done.TrySetException(ex);
            }

            return;
        }

        // One by one: the outcomes are told once the files written are counted (on shutdown too, for those done by then).
        var outcomes = new List<(Pending Pending, Registration? Result, Exception? Error)>(group.Count);
        try
        {
            foreach (var p in group)
            {
                await using var scope = _scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<StudyStore>();
                try
                {
                    outcomes.Add((p, await store.RegisterAsync(p.File, p.Derivative, p.Error, ct), null));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    outcomes.Add((p, null, ex));
                }
                finally
                {
                    held += store.Held;
                }
            }
        }
        finally
        {
            Count(outcomes.Count, held);
            foreach (var (p, result, error) in outcomes)
            {
                if (error is null)
                {
                    p.Done.TrySetResult(result!);
                }
                else
                {
                    p.Done.TrySetException(error);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop.IsValueCreated)
        {
            // Let what is already queued be written, unless that takes longer than a host's shutdown should.
            try
            {
                await _loop.Value.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                await _stop.CancelAsync();
                await _loop.Value;
            }
        }

        _stop.Dispose();
    }

    private sealed record Pending(InstanceFile File, Derivative? Derivative, string? Error, TaskCompletionSource<Registration> Done);

    [LoggerMessage(EventId = 2130, Level = LogLevel.Information, Message = "A group of {Files} registrations lost a race to another writer ({Reason}); writing them one by one")]
    private static partial void LogGroupRetried(ILogger logger, int files, string reason);
}
