using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MuraPipeline.Api;
using MuraPipeline.Api.Access;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;
using MuraPipeline.Pacs;
using MuraPipeline.Scheduler;
using MuraPipeline.ServiceDefaults;
using Polly;
using Polly.Retry;

namespace MuraPipeline.Hosting;

/// <summary>
/// The one composition root: every command and role gets its configuration from <see cref="LoadConfiguration"/> and its
/// services from the roles' own registrations, so a setting means the same thing in `screen`, `serve` and the admin
/// commands. The same code runs embedded (in-memory bus, SQLite) or distributed (RabbitMQ, PostgreSQL).
/// </summary>
public static partial class ServiceHost
{
    /// <summary>
    /// Configuration, lowest precedence first: appsettings.json beside the program, appsettings.json in the working
    /// folder, environment variables (.NET's <c>Section__Key</c>, e.g. Inference__Thresholds__WRIST), then what the
    /// command line gave (<paramref name="overrides"/>).
    /// </summary>
    public static IConfigurationRoot LoadConfiguration(IDictionary<string, string?>? overrides = null) => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile(Path.GetFullPath("appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
        .Build();

    /// <summary>
    /// Every serve process is a small web host: /alive and /health for its orchestrator and /metrics for Prometheus
    /// whatever its roles, and the console and operator API (/login, /api/…) when it hosts the api role.
    /// </summary>
    public static IHost Build(IReadOnlySet<string> roles, IDictionary<string, string?> overrides)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddConfiguration(LoadConfiguration(overrides));
        AddRoles(builder, roles, loops: true, extraBus: null, defaultSqliteFile: "mura.db");
        builder.Services.AddProcessEndpoints().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        builder.AddConsoleSecurity();
        builder.Services.AddReplicaHeartbeat(string.Join(',', roles.Order(StringComparer.Ordinal)));
        if (roles.Contains(Roles.Api))
        {
            builder.AddApi();
        }

        var app = builder.Build();
        app.UseConsoleSecurity();
        app.MapProcessEndpoints(ConsoleSecurity.MetricsRefusal);
        if (roles.Contains(Roles.Api))
        {
            app.MapApi();
        }

        return app;
    }

    /// <summary>
    /// The one-shot embedded host of `screen`: the ingest and inference roles' stages in one process on the in-memory
    /// bus and a SQLite file (a broker or server named in the environment is not for it), with the ingest stages driven
    /// by the caller instead of by their timers. <paramref name="extraBus"/> adds the caller's own consumers.
    /// </summary>
    public static IHost BuildEmbedded(string databaseFile, IDictionary<string, string?> overrides, LogLevel logLevel, Action<IBusRegistrationConfigurator, IServiceCollection> extraBus)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>(overrides)
        {
            ["ConnectionStrings:RabbitMq"] = string.Empty,
            ["ConnectionStrings:Postgres"] = string.Empty,
            ["Database:SqliteFile"] = databaseFile,
        };
        builder.Configuration.AddConfiguration(LoadConfiguration(settings));
        AddRoles(builder, new HashSet<string>(StringComparer.Ordinal) { Roles.Ingest, Roles.Inference }, loops: false, extraBus, defaultSqliteFile: databaseFile);
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        return builder.Build();
    }

    private static void AddRoles(IHostApplicationBuilder builder, IReadOnlySet<string> roles, bool loops, Action<IBusRegistrationConfigurator, IServiceCollection>? extraBus, string defaultSqliteFile)
    {
        builder.Services.AddMuraData(DatabaseTarget.From(builder.Configuration, defaultSqliteFile), builder.Configuration);
        builder.AddMuraDefaults(
            bus =>
            {
                if (roles.Contains(Roles.Inference))
                {
                    builder.AddInference(bus);
                }

                extraBus?.Invoke(bus, builder.Services);
            });
        if (roles.Contains(Roles.Ingest))
        {
            builder.AddIngest(loops);
        }

        if (roles.Contains(Roles.Scheduler))
        {
            builder.AddScheduler();
        }

        if (loops && (roles.Contains(Roles.Scheduler) || roles.Contains(Roles.Api)))
        {
            // The scheduler role works pull jobs inside Pacs:PullWindow; the api role shows them.
            builder.Services.AddPacs(builder.Configuration, windowWorker: roles.Contains(Roles.Scheduler));
        }

        if (loops && (roles.Contains(Roles.Results) || roles.Contains(Roles.Api)))
        {
            // The results role makes the SR and heatmap objects and sends them; the api role shows the outbox.
            builder.Services.AddResults(builder.Configuration, worker: roles.Contains(Roles.Results));
        }
    }

    /// <summary>
    /// Readies a serve process before its roles start: the schema check (or migration) and, with the inference role, the
    /// active model. A database that is not there yet (PostgreSQL starting, restarting or failing over: connection refused,
    /// 57P03 "the database system is shutting down") is waited for, up to Database:StartWaitSeconds (default 120; 0 fails
    /// at once), with a warning per try that names the reason; a wrong password, a missing database or a stale schema
    /// fails at once. Without the wait, a worker that an orchestrator restarted during a database restart exited (code 2)
    /// and stayed down: the chaos run saw it.
    /// </summary>
    public static async Task PrepareAsync(IHost host, IReadOnlySet<string> roles, CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds(DatabaseOptions.From(host.Services.GetRequiredService<IConfiguration>()).StartWaitSeconds);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServiceHost).FullName!);
        var target = host.Services.GetRequiredService<DatabaseTarget>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && IsUnavailable(ex) && clock.Elapsed < wait),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(5),
                UseJitter = true,
                OnRetry = args =>
                {
                    LogDatabaseUnavailable(logger, target.Describe(), args.Outcome.Exception!.GetBaseException().Message, args.RetryDelay.TotalSeconds, Math.Max(0, (wait - clock.Elapsed).TotalSeconds));
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        var models = roles.Contains(Roles.Inference) ? host.Services.GetRequiredService<ModelProvider>() : null;
        if (models is { IsPinned: true })
        {
            // A pinned model is this file whatever the registry says: its session is made while the schema is checked.
            models.BeginLoadingFile();
        }

        await pipeline.ExecuteAsync(
            async token =>
            {
                await EnsureSchemaAsync(host.Services, token);
                if (models is not null)
                {
                    await models.InitializeAsync(token);
                }
            },
            ct);
    }

    /// <summary>Whether a failure means the database is not reachable yet (worth waiting for), rather than wrong.</summary>
    internal static bool IsUnavailable(Exception ex) => ex switch
    {
        // 57P01-57P03: shut down by the administrator, crashed, or not accepting connections yet (starting or stopping).
        Npgsql.PostgresException p => p.IsTransient || p.SqlState.StartsWith("57P", StringComparison.Ordinal),
        Npgsql.NpgsqlException n => n.IsTransient,
        Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException => true,
        _ => ex.InnerException is { } inner && IsUnavailable(inner),
    };

    [LoggerMessage(EventId = 1910, Level = LogLevel.Warning, Message = "The database ({Database}) is not reachable yet: {Reason}; trying again in {DelaySeconds:0.0} s (gives up in {LeftSeconds:0} s, Database:StartWaitSeconds)")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string database, string reason, double delaySeconds, double leftSeconds);

    /// <summary>
    /// The services an admin command works with (the same configuration and data registrations as every role), over
    /// <paramref name="target"/>, plus what <paramref name="configure"/> adds. With <paramref name="schema"/> the schema
    /// is put in place first, as a role's start does (migrated on SQLite; checked on PostgreSQL); a command that only
    /// reads or migrates asks for none.
    /// </summary>
    public static async Task<ServiceProvider> OpenAdminAsync(DatabaseTarget target, CancellationToken ct, Action<IServiceCollection, IConfiguration>? configure = null, IDictionary<string, string?>? overrides = null, bool schema = true)
    {
        var configuration = LoadConfiguration(overrides);
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddMuraData(target, configuration);
        configure?.Invoke(services, configuration);
        var provider = services.BuildServiceProvider();
        try
        {
            if (schema)
            {
                await EnsureSchemaAsync(provider, ct);
            }

            return provider;
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
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
        var migrate = DatabaseOptions.From(scope.ServiceProvider.GetRequiredService<IConfiguration>()).MigrateOnStart ?? !target.IsPostgres;
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
