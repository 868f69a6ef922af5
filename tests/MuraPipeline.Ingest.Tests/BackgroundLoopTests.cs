using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest.Tests;

/// <summary>The one loop every worker runs, on a clock the test moves.</summary>
public sealed class BackgroundLoopTests
{
    [Fact]
    public void The_wait_doubles_per_failure_in_a_row_up_to_the_most()
    {
        var one = TimeSpan.FromSeconds(1);
        Assert.Equal([2, 4, 8, 16, 30, 30], Enumerable.Range(1, 6).Select(f => BackgroundLoop.Backoff(one, f, TimeSpan.FromSeconds(30)).TotalSeconds));
        Assert.Equal(0.2, BackgroundLoop.Backoff(TimeSpan.Zero, 1, TimeSpan.FromSeconds(30)).TotalSeconds, 6);
        Assert.Equal(60, BackgroundLoop.Backoff(TimeSpan.FromMinutes(1), 3, TimeSpan.FromSeconds(30)).TotalSeconds);
    }

    [Fact]
    public async Task Failed_passes_back_off_are_logged_with_their_stack_and_a_success_goes_back_to_the_interval()
    {
        var clock = new TimerClock(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var log = new ListLogger();
        using var loop = new ScriptedLoop(clock, log, fail: [true, true, false, true]);
        await loop.StartAsync(default);

        // After each pass the loop sets one timer on its clock: the wait it chose. The test moves the clock by that much.
        var waits = new List<double>();
        var at = new List<DateTimeOffset> { await loop.Passes.ReadAsync() };
        for (var i = 0; i < 4; i++)
        {
            var wait = await clock.Timers.ReadAsync();
            waits.Add(wait.TotalSeconds);
            clock.Advance(wait);
            at.Add(await loop.Passes.ReadAsync());
        }

        await loop.StopAsync(default);
        Assert.Equal([2, 4, 1, 2], waits);
        Assert.Equal([0, 2, 6, 7, 9], at.Select(t => (t - at[0]).TotalSeconds));
        Assert.Equal(3, log.Entries.Count);
        Assert.All(log.Entries, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains("ScriptedLoop pass failed (2 in a row); next try in 4.0 s: the database is away", log.Entries[1].Message, StringComparison.Ordinal);
        Assert.All(log.Entries, e => Assert.NotNull(e.Exception?.StackTrace));
    }

    /// <summary>A clock the test moves, which says each timer set on it (its due time).</summary>
    private sealed class TimerClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

        public ChannelReader<TimeSpan> Timers => _timers.Reader;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Writer.TryWrite(dueTime);
            return timer;
        }
    }

    private sealed class ScriptedLoop(TimeProvider clock, ILogger logger, bool[] fail) : BackgroundLoop(clock, logger)
    {
        private readonly Channel<DateTimeOffset> _passes = Channel.CreateUnbounded<DateTimeOffset>();
        private int _pass;

        public ChannelReader<DateTimeOffset> Passes => _passes.Reader;

        protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

        protected override Task RunOnceAsync(CancellationToken ct)
        {
            _passes.Writer.TryWrite(Clock.GetUtcNow());
            return _pass < fail.Length && fail[_pass++] ? Task.FromException(new InvalidOperationException("the database is away")) : Task.CompletedTask;
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception), exception));
            }
        }
    }
}
