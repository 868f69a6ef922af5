using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;

namespace MuraPipeline.Tests;

/// <summary>
/// The one SQLite fixture: the services a test names over a migrated embedded database (mura.db) in a temporary folder
/// of its own, configured from the settings it gives. Disposing it disposes the services, closes SQLite's pooled
/// connections and deletes the folder.
/// </summary>
public sealed class SqliteServices : IAsyncDisposable
{
    private SqliteServices(string folder, IConfiguration configuration, ServiceProvider provider)
    {
        Folder = folder;
        Configuration = configuration;
        Provider = provider;
    }

    /// <summary>The test's own folder; the database file is in it.</summary>
    public string Folder { get; }

    public string DatabaseFile => FileIn(Folder);

    public IConfiguration Configuration { get; }

    public ServiceProvider Provider { get; }

    /// <summary>
    /// Builds the services <paramref name="register"/> adds (given the configuration and the database; the database alone
    /// when it is null) in a new temporary folder, and migrates the database.
    /// </summary>
    public static async Task<SqliteServices> StartAsync(IDictionary<string, string?> settings, Func<IServiceCollection, IConfiguration, DatabaseTarget, IServiceCollection>? register = null, string? folder = null)
    {
        folder ??= Peers.TempDir();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var target = new DatabaseTarget(null, FileIn(folder));
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        var provider = (register ?? ((s, _, t) => s.AddMuraDatabase(t)))(services, configuration, target).BuildServiceProvider();
        await using (var scope = provider.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
        }

        return new SqliteServices(folder, configuration, provider);
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }

    private static string FileIn(string folder) => Path.Combine(folder, "mura.db");
}
