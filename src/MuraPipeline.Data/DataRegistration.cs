using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MuraPipeline.Data;

public static class DataRegistration
{
    /// <summary>The embedded database: a SQLite file, a context per scope, and the store.</summary>
    public static IServiceCollection AddMuraSqlite(this IServiceCollection services, string file) =>
        services.AddMuraDatabase(new DatabaseTarget(null, file));

    /// <summary>The database of <paramref name="target"/>: a context per scope, and the store.</summary>
    public static IServiceCollection AddMuraDatabase(this IServiceCollection services, DatabaseTarget target)
    {
        services.TryAddSingleton(target);
        services.AddDbContext<MuraDbContext>(o => o.UseTarget(target));
        services.AddScoped<StudyStore>();
        services.AddScoped<StudyQueue>();
        services.AddScoped<ModelRegistry>();
        services.AddScoped<GroundTruthStore>();
        services.AddScoped<AuditLog>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
