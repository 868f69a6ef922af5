using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace MuraPipeline.ServiceDefaults;

/// <summary>The "Messaging" configuration section: retry policy and queue names, the same in every role.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Delays between attempts of a failing message, in milliseconds, comma separated; then it goes to the <c>_error</c> queue.</summary>
    [Required]
    [RegularExpression(@"^\s*\d+(\s*,\s*\d+)*\s*$", ErrorMessage = "Messaging:RetryIntervalsMs must be a comma-separated list of milliseconds, for example 500,2000,5000")]
    public string RetryIntervalsMs { get; set; } = "500,2000,5000,10000";

    /// <summary>The inference queue.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]+$")]
    public string ScoreQueue { get; set; } = "score-views";

    /// <summary>The queue where faulted view messages are turned into failed views.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]+$")]
    public string FaultQueue { get; set; } = "view-faults";

    public TimeSpan[] RetryIntervals() =>
        RetryIntervalsMs.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(x => TimeSpan.FromMilliseconds(int.Parse(x, CultureInfo.InvariantCulture))).ToArray();
}

/// <summary>A RabbitMQ address from an <c>amqp://user:password@host:port/vhost</c> URI (RabbitMQ's URI specification).</summary>
public sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string Username, string Password, bool Tls)
{
    public static RabbitMqAddress Parse(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var u) || u.Scheme is not ("amqp" or "amqps"))
        {
            throw new FormatException("ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI, for example amqp://guest:guest@127.0.0.1:5672/");
        }

        var tls = u.Scheme == "amqps";
        var port = u.IsDefaultPort || u.Port < 0 ? (ushort)(tls ? 5671 : 5672) : (ushort)u.Port;
        var path = u.AbsolutePath.TrimStart('/');
        var vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        var user = "guest";
        var password = "guest";
        if (u.UserInfo.Length > 0)
        {
            var parts = u.UserInfo.Split(':', 2);
            user = Uri.UnescapeDataString(parts[0]);
            password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        }

        return new RabbitMqAddress(u.Host, port, vhost, user, password, tls);
    }

    /// <summary>The management plugin's HTTP API: RabbitMq:ManagementUrl, else the broker host on port 15672.</summary>
    public Uri ManagementUri(string? configured) => new(configured is { Length: > 0 } ? configured : $"http://{Host}:15672/");
}
