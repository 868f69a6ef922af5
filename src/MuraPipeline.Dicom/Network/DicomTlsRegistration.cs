using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MuraPipeline.Dicom.Network;

/// <summary>
/// The one place "Scp:Tls" is read: the receiver serves TLS with it, and every association we open (PACS pull, results
/// sending, `mura pacs`) to a node marked Tls uses it. Loaded when the services are composed, so a wrong path or key
/// stops the process at start with the setting named.
/// </summary>
public static class DicomTlsRegistration
{
    public static DicomTls Load(IConfiguration configuration) =>
        DicomTls.Load(configuration.GetSection(DicomTlsOptions.Section).Get<DicomTlsOptions>() ?? new DicomTlsOptions());

    public static IServiceCollection AddDicomTls(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.All(d => d.ServiceType != typeof(DicomTls)))
        {
            services.AddSingleton(Load(configuration));
        }

        return services;
    }
}
