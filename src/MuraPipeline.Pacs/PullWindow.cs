using System.Globalization;

namespace MuraPipeline.Pacs;

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
