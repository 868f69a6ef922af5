using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MuraPipeline.Data;

public static class StorageRegistration
{
    /// <summary>A folder this process writes to, watched under <paramref name="name"/> (a name given twice keeps the first).</summary>
    public static IServiceCollection AddStorageVolume(this IServiceCollection services, IConfiguration configuration, string name, string? path)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<StorageWatch>();
        services.TryAddSingleton(TimeProvider.System);
        if (!string.IsNullOrWhiteSpace(path))
        {
            services.AddSingleton(new StorageVolume(name, Path.GetFullPath(path)));
        }

        return services;
    }
}
