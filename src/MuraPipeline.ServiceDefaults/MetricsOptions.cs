using System.Net;

namespace MuraPipeline.ServiceDefaults;

/// <summary>Who may read <c>/metrics</c> without credentials (section <c>Metrics</c>); anyone else is asked for what the host's security says (an operator's key or session).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Addresses or CIDR ranges (comma-separated) a scraper may come from without a key; everyone else needs an operator's key or session.</summary>
    public string AllowFrom { get; set; } = "127.0.0.1,::1";

    public bool Allows(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var entry in AllowFrom.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) ? System.Net.IPNetwork.TryParse(entry, out var net) && net.Contains(address) : IPAddress.TryParse(entry, out var one) && one.Equals(address))
            {
                return true;
            }
        }

        return false;
    }
}
