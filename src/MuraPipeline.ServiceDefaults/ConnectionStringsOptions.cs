using Microsoft.Extensions.Configuration;

namespace MuraPipeline.ServiceDefaults;

/// <summary>The "ConnectionStrings" configuration section: the services of the distributed mode. Neither set, a process runs embedded (SQLite, in-memory bus).</summary>
public sealed class ConnectionStringsOptions
{
    public const string Section = "ConnectionStrings";

    /// <summary>PostgreSQL (an Npgsql connection string: Host=…;Database=…;Username=…;Password=…). Unset: the embedded SQLite file.</summary>
    public string? Postgres { get; set; }

    /// <summary>RabbitMQ (amqp://user:password@host:5672/vhost, or amqps://). Unset: the in-memory bus, one process.</summary>
    public string? RabbitMq { get; set; }

    public static ConnectionStringsOptions From(IConfiguration configuration) => SettingsSection.Bind<ConnectionStringsOptions>(configuration, Section);

    /// <summary>True when a broker is configured: the roles run as separate processes.</summary>
    public bool IsDistributed => !string.IsNullOrWhiteSpace(RabbitMq);
}
