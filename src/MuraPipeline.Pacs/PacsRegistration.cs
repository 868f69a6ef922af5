using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Pacs;

public static class PacsRegistration
{
    /// <summary>The PACS options (validated at start), the pull job store and the puller; <paramref name="windowWorker"/> adds the scheduler role's pull-window loop.</summary>
    public static IServiceCollection AddPacs(this IServiceCollection services, IConfiguration configuration, bool windowWorker = false)
    {
        services.AddOptions<PacsOptions>().Bind(configuration.GetSection(PacsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddDicomTls(configuration);
        services.AddScoped<PullJobs>();
        var inbox = configuration["Ingest:WatchDir"] is { Length: > 0 } dir ? Path.GetFullPath(dir) : null;
        services.AddSingleton(new PullTarget(inbox));
        services.AddStorageVolume(configuration, "inbox", inbox);
        services.AddSingleton<Puller>();
        services.TryAddTimeProvider();
        if (windowWorker)
        {
            services.AddHostedService<PullWindowWorker>();
        }

        return services;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}

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
