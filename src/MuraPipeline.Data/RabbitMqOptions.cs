using Microsoft.Extensions.Configuration;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Data;

/// <summary>The "RabbitMq" configuration section: what the console reads of the broker besides its connection string.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    /// <summary>The management API, for queue depths and replaying _error queues (http://user:password@host:15672/). Default: the broker's host on port 15672 with the connection string's credentials.</summary>
    public string? ManagementUrl { get; set; }

    public static RabbitMqOptions From(IConfiguration configuration) => SettingsSection.Bind<RabbitMqOptions>(configuration, Section);
}
