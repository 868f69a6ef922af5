using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Api;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;
using MuraPipeline.Scheduler;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Cli.Serve;

/// <summary>The roles one `mura serve` process hosts.</summary>
public static class Roles
{
    public const string Ingest = "ingest";
    public const string Inference = "inference";
    public const string Scheduler = "scheduler";
    public const string Api = "api";

    public static readonly string[] All = [Ingest, Inference, Scheduler, Api];

    public static IReadOnlySet<string> Parse(string text)
    {
        var roles = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(r => r.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (roles.Count == 0 || roles.FirstOrDefault(r => !All.Contains(r)) is { } unknown && unknown.Length > 0)
        {
            throw new ArgumentException($"--roles takes a comma-separated subset of {string.Join(",", All)}");
        }

        return roles;
    }
}

/// <summary>Composes a host from its roles: the same code embedded (in-memory bus, SQLite) or distributed (RabbitMQ, PostgreSQL).</summary>
public static class ServiceHost
{
    /// <summary>Configuration every admin command and service reads: appsettings.json (working folder), then environment variables (.NET conventions, e.g. ConnectionStrings__Postgres).</summary>
    public static IConfigurationRoot LoadConfiguration(IDictionary<string, string?>? overrides = null) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
        .Build();

    /// <summary>
    /// Every serve process is a small web host: /alive and /health for its orchestrator whatever its roles, and the
    /// operator API (/api/…) when it hosts the api role.
    /// </summary>
    public static IHost Build(IReadOnlySet<string> roles, IDictionary<string, string?> overrides)
    {
        var configuration = LoadConfiguration(overrides);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddConfiguration(configuration);
        builder.AddMuraDefaults(
            bus =>
            {
                if (roles.Contains(Roles.Inference))
                {
                    builder.AddInference(bus);
                }
            },
            defaultSqliteFile: "mura.db");
        builder.AddHealth();
        if (roles.Contains(Roles.Ingest))
        {
            builder.AddIngest();
        }

        if (roles.Contains(Roles.Scheduler))
        {
            builder.AddScheduler();
        }

        if (roles.Contains(Roles.Api))
        {
            builder.AddApi();
        }

        var app = builder.Build();
        app.MapHealth();
        if (roles.Contains(Roles.Api))
        {
            app.MapApi();
        }

        return app;
    }

    /// <summary>
    /// Brings the schema up to date when Database:MigrateOnStart is true (the default for the embedded SQLite file),
    /// else refuses to start on an out-of-date schema with the command that fixes it.
    /// </summary>
    public static async Task EnsureSchemaAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var target = scope.ServiceProvider.GetRequiredService<DatabaseTarget>();
        var configured = scope.ServiceProvider.GetRequiredService<IConfiguration>()["Database:MigrateOnStart"];
        var migrate = configured is null ? !target.IsPostgres : bool.Parse(configured);
        if (migrate)
        {
            await DatabaseSetup.MigrateAsync(db, ct);
            return;
        }

        var pending = await db.Database.GetPendingMigrationsAsync(ct);
        if (pending.Any())
        {
            throw new InvalidOperationException($"the database ({target.Describe()}) lacks migrations {string.Join(", ", pending)}: run `mura db migrate` (or set Database__MigrateOnStart=true)");
        }
    }
}
