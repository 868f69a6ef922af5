using System.ComponentModel.DataAnnotations;
using System.Globalization;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs;

/// <summary>The "Pacs" configuration section: the PACS nodes we query and pull from, our AE title towards them, and when pulls may run.</summary>
public sealed class PacsOptions : IValidatableObject
{
    public const string Section = "Pacs";

    /// <summary>Our calling AE title on every association we open to a PACS.</summary>
    public string AeTitle { get; set; } = "MURA";

    /// <summary>The AE title a C-MOVE sends to: our own receiver (Scp:AeTitle), as the PACS knows it. Empty: <see cref="AeTitle"/>.</summary>
    public string MoveDestination { get; set; } = string.Empty;

    /// <summary>The PACS nodes backlogs are pulled from, each under a name of the operator's choosing (`mura pacs pull --node NAME`).</summary>
    public Dictionary<string, PacsNode> Nodes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When the scheduler role runs pull jobs, local time, e.g. "20:00-06:00" (may wrap midnight); empty: always.</summary>
    public string PullWindow { get; set; } = string.Empty;

    /// <summary>How long a PACS may stay silent inside an association.</summary>
    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>Attempts per study before it fails; a refused move destination fails at once.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait after a failed attempt (doubled each time).</summary>
    [Range(0, 86_400)]
    public double RetryDelaySeconds { get; set; } = 30;

    /// <summary>A puller's claim on a study it is retrieving; renewed while it works, taken over by another puller once it lapses (after a crash).</summary>
    [Range(1, 86_400)]
    public int LeaseSeconds { get; set; } = 120;

    public string ResolvedMoveDestination => MoveDestination is { Length: > 0 } d ? d : AeTitle;

    /// <summary>The node of that name, or an error listing the configured ones.</summary>
    public PacsNode Node(string name) => Nodes.TryGetValue(name, out var node)
        ? node
        : throw new PacsConfigurationException($"no PACS node '{name}' is configured (Pacs:Nodes:{name}:AeTitle|Host|Port|Retrieve); configured: {(Nodes.Count == 0 ? "none" : string.Join(", ", Nodes.Keys.Order(StringComparer.Ordinal)))}");

    public DicomClient Client(string name, DicomTls tls)
    {
        var node = Node(name);
        return new DicomClient(node.Host, node.Port, AeTitle, node.AeTitle) { Timeout = TimeSpan.FromSeconds(TimeoutSeconds), Tls = node.Tls ? tls : null };
    }

    public PullWindow Window() => Pacs.PullWindow.Parse(PullWindow);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, node) in Nodes)
        {
            if (node.AeTitle.Length is 0 or > 16 || node.AeTitle.Contains('\\', StringComparison.Ordinal))
            {
                yield return new ValidationResult($"Pacs:Nodes:{name}:AeTitle must be 1 to 16 characters without a backslash", [nameof(Nodes)]);
            }

            if (node.Port is < 1 or > 65535)
            {
                yield return new ValidationResult($"Pacs:Nodes:{name}:Port {node.Port.ToString(CultureInfo.InvariantCulture)} is not a TCP port", [nameof(Nodes)]);
            }

            if (node.MaxResults < 0)
            {
                yield return new ValidationResult($"Pacs:Nodes:{name}:MaxResults is {node.MaxResults.ToString(CultureInfo.InvariantCulture)}; it is 0 (no silent cap) or the PACS's cap on one C-FIND answer", [nameof(Nodes)]);
            }

            if (node.Retrieve is not ("move" or "get"))
            {
                yield return new ValidationResult($"Pacs:Nodes:{name}:Retrieve is '{node.Retrieve}'; it is 'move' or 'get'", [nameof(Nodes)]);
            }
        }

        string? windowError = null;
        try
        {
            _ = Window();
        }
        catch (PacsConfigurationException ex)
        {
            windowError = ex.Message;
        }

        if (windowError is not null)
        {
            yield return new ValidationResult(windowError, [nameof(PullWindow)]);
        }
    }
}
