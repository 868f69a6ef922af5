using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Data;
using MuraPipeline.Hosting;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Inference.Tests;

/// <summary>The inference role as these tests host it: MassTransit's in-memory bus over a SQLite file.</summary>
internal static class InferenceHost
{
    /// <summary>A host on <paramref name="databaseFile"/> with <paramref name="settings"/> on top (not started, not migrated).</summary>
    public static IHost Build(string databaseFile, IReadOnlyDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["Database:SqliteFile"] = databaseFile });
        builder.Services.AddMuraData(DatabaseTarget.From(builder.Configuration, databaseFile), builder.Configuration);
        builder.AddMuraDefaults(bus => builder.AddInference(bus));
        return builder.Build();
    }

    /// <summary>Brings the host's database to the current schema.</summary>
    public static async Task MigrateAsync(IHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
    }
}
