namespace MuraPipeline.Scheduler;

/// <summary>The "Scheduler" configuration section: when the export runs.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>A Quartz cron expression (seconds first); default every night at 02:00.</summary>
    public string Cron { get; set; } = "0 0 2 * * ?";

    /// <summary>The time zone the cron expression is read in (an IANA id such as Europe/Berlin); default the machine's.</summary>
    public string? TimeZone { get; set; }

    public TimeZoneInfo ResolveTimeZone() => string.IsNullOrWhiteSpace(TimeZone) ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}
