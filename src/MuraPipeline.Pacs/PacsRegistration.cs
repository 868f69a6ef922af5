using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Dicom.Network;

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
