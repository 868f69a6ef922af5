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
public sealed partial class PullWindowWorker(IServiceScopeFactory scopes, Puller puller, IOptions<PacsOptions> options, TimeProvider clock, ILogger<PullWindowWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.Window();
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = TimeOnly.FromDateTime(clock.GetLocalNow().DateTime);
            if (!window.IsOpen(now))
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(window.UntilOpen(now).TotalSeconds, 1, 60)), clock, stoppingToken);
                continue;
            }

            try
            {
                List<PullJob> active;
                await using (var scope = scopes.CreateAsyncScope())
                {
                    active = await scope.ServiceProvider.GetRequiredService<PullJobs>().ActiveAsync(stoppingToken);
                }

                foreach (var job in active)
                {
                    await puller.RunAsync(job.Id, stoppingToken, () => window.IsOpen(TimeOnly.FromDateTime(clock.GetLocalNow().DateTime)));
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                LogPassFailed(logger, ex.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pull pass failed; next try in 5 s: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
