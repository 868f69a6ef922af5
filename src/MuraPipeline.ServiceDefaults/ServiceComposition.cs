using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MuraPipeline.ServiceDefaults;

/// <summary>
/// The one place where a process chooses its mode. With ConnectionStrings:RabbitMq and ConnectionStrings:Postgres the
/// roles run distributed (RabbitMQ, PostgreSQL); without them, embedded (MassTransit's in-memory transport, a SQLite
/// file). The roles register consumers and hosted services and never learn which.
/// </summary>
public static class ServiceComposition
{
    /// <summary>Logging, typed options and the bus, with <paramref name="roles"/> adding their consumers (the database is the host's: DataComposition).</summary>
    public static IHostApplicationBuilder AddMuraDefaults(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> roles)
    {
        builder.Logging.AddMuraConsole();

        // Per-statement and per-request logs are for debugging (Logging__LogLevel__Microsoft=Information brings them back).
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Services.AddSingleton<ReplicaState>();
        builder.Services.AddOptions<MessagingOptions>().Bind(builder.Configuration.GetSection(MessagingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        var rabbit = ConnectionStringsOptions.From(builder.Configuration).RabbitMq;
        var messaging = builder.Configuration.GetSection(MessagingOptions.Section).Get<MessagingOptions>() ?? new MessagingOptions();
        var intervals = messaging.RetryIntervals();
        builder.Services.AddMassTransit(bus =>
        {
            // Nothing leaves the site: MassTransit's anonymous usage report (on by default since 8.4) stays off.
            bus.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
            roles(bus);
            if (string.IsNullOrWhiteSpace(rabbit))
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    cfg.UseMessageRetry(r => r.Intervals(intervals));
                    cfg.ConfigureEndpoints(context);
                });
                return;
            }

            var address = RabbitMqAddress.Parse(rabbit);
            bus.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                    h.Heartbeat(TimeSpan.FromSeconds(10));
                    if (address.Tls)
                    {
                        h.UseSsl(s => s.Protocol = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13);
                    }
                });

                // Queues and exchanges are durable (MassTransit's default); messages are persistent; retries then _error.
                cfg.UseMessageRetry(r => r.Intervals(intervals));
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>True when ConnectionStrings:RabbitMq names a broker.</summary>
    public static bool IsDistributed(IConfiguration configuration) => ConnectionStringsOptions.From(configuration).IsDistributed;
}
