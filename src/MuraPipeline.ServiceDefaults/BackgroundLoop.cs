using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MuraPipeline.ServiceDefaults;

/// <summary>
/// A worker that runs one pass, waits <see cref="Interval"/> on its clock, and runs the next, for as long as the
/// process runs: every loop of every role (ingest's folder, assembly and reconciler, the results outbox, the pull
/// window, the heartbeat, the model poll) is one. Each pass is independent and starts over from the database, so a
/// pass that fails (the database or the broker away) is logged, with its exception and stack, and tried again after a
/// wait that doubles with each failure in a row, from <see cref="Interval"/> up to <see cref="MaxBackoff"/>; the first
/// pass that succeeds goes back to <see cref="Interval"/>.
/// </summary>
public abstract partial class BackgroundLoop(TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock => clock;

    /// <summary>The wait after a pass that succeeded (read after each pass, so it may follow the state, a window's say).</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>The longest wait after failed passes.</summary>
    protected virtual TimeSpan MaxBackoff => TimeSpan.FromSeconds(30);

    /// <summary>One pass of the loop.</summary>
    protected abstract Task RunOnceAsync(CancellationToken ct);

    /// <summary>
    /// The wait between passes: <paramref name="wait"/> on the loop's clock. A loop that can be handed work overrides it
    /// to end the wait early when work arrives (never after a failed pass, <paramref name="afterFailure"/>, whose
    /// back-off stands).
    /// </summary>
    protected virtual Task WaitAsync(TimeSpan wait, bool afterFailure, CancellationToken ct) => Task.Delay(wait, clock, ct);

    /// <summary>The wait after <paramref name="failures"/> failed passes in a row: <paramref name="interval"/> doubled per failure (at least 100 ms), at most <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(TimeSpan interval, int failures, TimeSpan max)
    {
        var start = Math.Max(interval.TotalMilliseconds, 100);
        return TimeSpan.FromMilliseconds(Math.Min(Math.Max(max.TotalMilliseconds, start), start * Math.Pow(2, Math.Min(failures, 16))));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await RunOnceAsync(stoppingToken);
                failures = 0;
                wait = Interval;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                wait = Backoff(Interval, failures, MaxBackoff);
                LogPassFailed(logger, ex, GetType().Name, failures, wait.TotalSeconds, ex.Message);
            }

            try
            {
                await WaitAsync(wait, failures > 0, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1950, Level = LogLevel.Warning, Message = "{Loop} pass failed ({Failures} in a row); next try in {Seconds:0.0} s: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string loop, int failures, double seconds, string reason);
}
