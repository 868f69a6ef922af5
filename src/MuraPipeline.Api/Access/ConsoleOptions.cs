using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace MuraPipeline.Api.Access;

/// <summary>The console's sign-in settings (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>A session ends after this many minutes without a request.</summary>
    [Range(1, 24 * 60)]
    public int IdleMinutes { get; set; } = 30;

    /// <summary>A session ends this many hours after sign-in, however busy it is.</summary>
    [Range(1, 7 * 24)]
    public int AbsoluteHours { get; set; } = 12;

    /// <summary>Send the session cookie over HTTPS only. Leave it off only where a TLS proxy is not in front (a test on 127.0.0.1).</summary>
    public bool SecureCookies { get; set; }

    /// <summary>
    /// The reverse proxies (addresses or CIDR ranges, comma separated) whose X-Forwarded-For and X-Forwarded-Proto are
    /// believed; from anyone else, and by default from everyone, those headers are ignored.
    /// </summary>
    public string KnownProxies { get; set; } = string.Empty;

    /// <summary>The entries of <see cref="KnownProxies"/>: single addresses and networks; a malformed entry is an error at start.</summary>
    public (List<IPAddress> Proxies, List<System.Net.IPNetwork> Networks) ParseKnownProxies()
    {
        var proxies = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in KnownProxies.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var net))
            {
                networks.Add(net);
            }
            else if (IPAddress.TryParse(entry, out var one))
            {
                proxies.Add(one);
            }
            else
            {
                throw new OptionsValidationException(Section, typeof(ConsoleOptions), [$"Console:KnownProxies: '{entry}' is neither an address nor a CIDR range"]);
            }
        }

        return (proxies, networks);
    }
}
