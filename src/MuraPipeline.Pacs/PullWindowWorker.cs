using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Pacs;

/// <summary>
/// The scheduler role's pull loop: while Pacs:PullWindow is open (local time), works every active pull job, oldest
/// first; when the window closes, the studies in flight finish and nothing new starts until it opens again.
/// </summary>
public sealed class PullWindowWorker(IServiceScopeFactory scopes, Puller puller, IOptions<PacsOptions> options, TimeProvider clock, ILogger<PullWindowWorker> logger) : BackgroundLoop(clock, logger)
{
    private readonly PullWindow _window = options.Value.Window();

    /// <summary>Every 5 s while the window is open; while it is closed, until it opens (at least 1 s, at most a minute).</summary>
    protected override TimeSpan Interval
    {
        get
        {
            var now = Now;
            return _window.IsOpen(now) ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(Math.Clamp(_window.UntilOpen(now).TotalSeconds, 1, 60));
        }
    }

    private TimeOnly Now => TimeOnly.FromDateTime(Clock.GetLocalNow().DateTime);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        if (!_window.IsOpen(Now))
        {
            return;
        }

        List<PullJob> active;
        await using (var scope = scopes.CreateAsyncScope())
        {
            active = await scope.ServiceProvider.GetRequiredService<PullJobs>().ActiveAsync(ct);
        }

        foreach (var job in active)
        {
            await puller.RunAsync(job.Id, ct, () => _window.IsOpen(Now));
        }
    }
}
