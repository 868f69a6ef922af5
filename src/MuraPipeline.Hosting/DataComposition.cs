using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;

namespace MuraPipeline.Hosting;

/// <summary>What every user of the database shares, composed once for the roles and the admin commands.</summary>
public static class DataComposition
{
    /// <summary>
    /// The database and what every user of it shares: the store, the model registry, ground truth, the one threshold
    /// policy (Inference:Thresholds bound once), the database's volume under the storage watch and the study types.
    /// </summary>
    public static IServiceCollection AddMuraData(this IServiceCollection services, DatabaseTarget database, IConfiguration configuration)
    {
        services.AddMuraDatabase(database);
        services.AddThresholdPolicy(configuration);
        services.AddStorageVolume(configuration, "database", database.IsPostgres ? null : Path.GetDirectoryName(database.SqliteFile));
        StudyTypeOptions.AddStudyTypes(services, configuration);
        return services;
    }
}
