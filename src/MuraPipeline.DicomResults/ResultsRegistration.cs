using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.DicomResults;

public static class ResultsRegistration
{
    /// <summary>The results options, the outbox and, with <paramref name="worker"/>, the results role's loop.</summary>
    public static IServiceCollection AddResults(this IServiceCollection services, IConfiguration configuration, bool worker)
    {
        services.AddOptions<ResultOptions>().Bind(configuration.GetSection(ResultOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<ResultsOutbox>();
        services.AddDicomTls(configuration);
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }

        if (worker)
        {
            services.AddSingleton<ResultsWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<ResultsWorker>());
        }

        return services;
    }
}
