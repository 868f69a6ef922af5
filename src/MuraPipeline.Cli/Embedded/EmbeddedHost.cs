using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;

namespace MuraPipeline.Cli.Embedded;

/// <summary>Every role in one process: MassTransit's in-memory transport and a SQLite file. The roles do not know.</summary>
public static class EmbeddedHost
{
    public static IHost Build(string databaseFile, IDictionary<string, string?> settings, LogLevel logLevel)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddEnvironmentVariables("MURA_");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Services.AddMuraSqlite(databaseFile);
        builder.Services.AddScoped<IngestService>();
        builder.Services.AddMassTransit(bus =>
        {
            builder.AddInference(bus);
            bus.UsingInMemory((context, cfg) =>
            {
                cfg.UseMessageRetry(r => r.Immediate(2));
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder.Build();
    }
}
