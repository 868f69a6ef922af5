using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Cli.Serve;
using MuraPipeline.Data;

namespace MuraPipeline.Cli.Commands;

/// <summary>The database an admin command works on: --db (a SQLite file or a PostgreSQL connection string), else the configured one.</summary>
internal static class AdminDatabase
{
    public static DatabaseTarget Resolve(string? option)
    {
        if (option is null)
        {
            return DatabaseTarget.From(ServiceHost.LoadConfiguration());
        }

        return option.Contains('=', StringComparison.Ordinal) ? new DatabaseTarget(option, "mura.db") : new DatabaseTarget(null, Path.GetFullPath(option));
    }

    /// <summary>Services over the database with its schema in place (migrated on SQLite; checked on PostgreSQL, as `serve` does).</summary>
    public static async Task<ServiceProvider> OpenAsync(DatabaseTarget target, CancellationToken ct)
    {
        var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(ServiceHost.LoadConfiguration())
            .AddMuraDatabase(target)
            .BuildServiceProvider();
        try
        {
            await ServiceHost.EnsureSchemaAsync(provider, ct);
            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }
}
