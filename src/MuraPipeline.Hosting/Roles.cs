using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Hosting;

/// <summary>The roles one `mura serve` process hosts.</summary>
public static class Roles
{
    public const string Ingest = "ingest";
    public const string Inference = "inference";
    public const string Scheduler = "scheduler";
    public const string Api = "api";
    public const string Results = "results";

    public static readonly string[] All = [Ingest, Inference, Scheduler, Api, Results];

    public static IReadOnlySet<string> Parse(string text)
    {
        var roles = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(r => r.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (roles.Count == 0 || roles.FirstOrDefault(r => !All.Contains(r)) is { } unknown && unknown.Length > 0)
        {
            throw new ArgumentException($"--roles takes a comma-separated subset of {string.Join(",", All)}");
        }

        return roles;
    }
}
