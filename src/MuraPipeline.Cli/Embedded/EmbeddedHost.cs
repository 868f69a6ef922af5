using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Cli.Embedded;

/// <summary>Every role in one process: MassTransit's in-memory transport and a SQLite file, composed like `mura serve`. The roles do not know.</summary>
public static class EmbeddedHost
{
    public static IHost Build(string databaseFile, IDictionary<string, string?> settings, LogLevel logLevel)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddEnvironmentVariables("MURA_");

        // `screen` is embedded by definition: a broker or server named in the environment is not for it.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = "", ["ConnectionStrings:Postgres"] = "", ["Database:SqliteFile"] = databaseFile });
        builder.AddMuraDefaults(bus => builder.AddInference(bus));
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Services.AddScoped<IngestService>();
        return builder.Build();
    }
}
