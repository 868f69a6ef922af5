using System.ComponentModel.DataAnnotations;
using System.Globalization;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs;

/// <summary>One PACS under Pacs:Nodes:NAME.</summary>
public sealed class PacsNode
{
    /// <summary>The PACS's own (called) AE title.</summary>
    public string AeTitle { get; set; } = string.Empty;

    /// <summary>The PACS's host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The PACS's DICOM port.</summary>
    public int Port { get; set; } = 104;

    /// <summary>"move" (the PACS sends to our receiver, which it must know by <see cref="PacsOptions.MoveDestination"/>) or "get" (back on our own association; no inbound port).</summary>
    public string Retrieve { get; set; } = "move";

    /// <summary>Open associations to it over TLS (Scp:Tls says whom we trust and which certificate we offer).</summary>
    public bool Tls { get; set; }

    /// <summary>
    /// The most studies the PACS returns for one C-FIND, for a PACS that stops there with a Success status instead of
    /// saying it stopped: an answer of this many is taken as cut short and asked again in narrower date and time
    /// ranges. 0: the PACS says so itself (Cancel or Out of Resources, as Orthanc's LimitFindResults does), or has no cap.
    /// </summary>
    public int MaxResults { get; set; }
}

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

/// <summary>A PACS setting that is missing or wrong; the message names the setting.</summary>
public sealed class PacsConfigurationException : Exception
{
    public PacsConfigurationException(string message)
        : base(message)
    {
    }

    public PacsConfigurationException()
    {
    }

    public PacsConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>A daily window of local time, "HH:MM-HH:MM", which may wrap midnight; empty is always open.</summary>
public sealed record PullWindow(TimeOnly? From, TimeOnly? To)
{
    public static readonly PullWindow Always = new(null, null);

    public static PullWindow Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Always;
        }

        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !TimeOnly.TryParseExact(parts[0], "H:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
            || !TimeOnly.TryParseExact(parts[1], "H:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to)
            || from == to)
        {
            throw new PacsConfigurationException($"Pacs:PullWindow '{text}' is not a window like 20:00-06:00 (local time, start and end differ)");
        }

        return new PullWindow(from, to);
    }

    public bool IsOpen(TimeOnly now) => From is not { } from || To is not { } to
        || (from < to ? now >= from && now < to : now >= from || now < to);

    /// <summary>How long until the window opens next (zero when it is open).</summary>
    public TimeSpan UntilOpen(TimeOnly now) => IsOpen(now) || From is not { } from ? TimeSpan.Zero : from - now;

    /// <summary>The share of a day the window is open (1 for always).</summary>
    public double OpenShare => From is { } f && To is { } t ? (f < t ? (t - f).TotalHours : 24 - (f - t).TotalHours) / 24 : 1;

    /// <summary>
    /// The moment at which <paramref name="openTime"/> of open window has passed, counting from <paramref name="now"/>
    /// in the zone whose clock the window is in (its closed hours do not count).
    /// </summary>
    public DateTimeOffset AfterOpenFor(DateTimeOffset now, TimeSpan openTime, TimeZoneInfo zone)
    {
        if (From is not { } from || To is not { } to)
        {
            return now + openTime;
        }

        var at = TimeZoneInfo.ConvertTime(now, zone);
        var left = openTime;
        for (var day = 0; day < 100_000; day++)
        {
            var time = TimeOnly.FromDateTime(at.DateTime);
            if (!IsOpen(time))
            {
                at += from - time; // TimeOnly subtraction wraps midnight
                continue;
            }

            var open = to - time;
            if (left <= open)
            {
                return at + left;
            }

            left -= open;
            at += open;
        }

        return DateTimeOffset.MaxValue;
    }

    public override string ToString() => From is { } f && To is { } t ? $"{f:HH\\:mm}-{t:HH\\:mm}" : "always";
}
