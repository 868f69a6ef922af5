namespace MuraPipeline.ServiceDefaults;

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

    /// <summary>
    /// The management plugin's HTTP API: RabbitMq:ManagementUrl, else the broker host on port 15672; with the user and
    /// password of the URL when it names them, else the broker's. The address returned never carries them, so it can
    /// be shown.
    /// </summary>
    public ManagementEndpoint Management(string? configured)
    {
        var text = configured is { Length: > 0 } ? configured.Trim() : $"http://{Host}:15672/";

        // The user and password are cut out by hand, up to the last '@' of the authority: a password with a space or
        // an unescaped '@' is still a password, not a reason for the address to fail.
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var user = Username;
        var password = Password;
        if (scheme > 0)
        {
            var start = scheme + 3;
            var end = text.IndexOfAny(['/', '?', '#'], start);
            end = end < 0 ? text.Length : end;
            var at = text.LastIndexOf('@', end - 1, end - start);
            if (at >= 0)
            {
                var info = text[start..at].Split(':', 2);
                user = Uri.UnescapeDataString(info[0]);
                password = info.Length > 1 ? Uri.UnescapeDataString(info[1]) : string.Empty;
                text = text[..start] + text[(at + 1)..];
            }
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new FormatException($"RabbitMq:ManagementUrl '{Secrets.Mask(configured)}' is not an http:// or https:// URL");
        }

        return new ManagementEndpoint(uri, user, password);
    }
}
