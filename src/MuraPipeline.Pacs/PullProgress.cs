using MuraPipeline.Data;


namespace MuraPipeline.Pacs;

/// <summary>A job's progress: studies by state, and how fast they have been ending.</summary>
public sealed record PullProgress(PullJob Job, int Pending, int Retrieving, int Received, int Failed, int Incomplete, int Retrieved, int Skipped, int EndedLastHour, DateTimeOffset? FirstStarted)
{
    public int Total => Pending + Retrieving + Received + Failed + Incomplete;

    public int Ended => Received + Failed + Incomplete;

    public int Left => Pending + Retrieving;

    /// <summary>Studies ended per hour since the first one started (wall time, pull window closed hours included).</summary>
    public double? PerHourSinceStart(DateTimeOffset now) => FirstStarted is { } first && now > first && Ended > 0 ? Ended / (now - first).TotalHours : null;

    /// <summary>
    /// When the studies left should all have ended: at the last hour's rate (else the rate since the start), counted
    /// only while the pull window is open. Null when nothing has ended yet to measure a rate by, or the job is over.
    /// </summary>
    public DateTimeOffset? EstimatedEnd(DateTimeOffset now, PullWindow window, TimeZoneInfo zone)
    {
        if (Left == 0 || Job.State != PullJobState.Active)
        {
            return null;
        }

        var rate = EndedLastHour > 0 ? EndedLastHour : PerHourSinceStart(now) is { } r && r > 0 ? r * window.OpenShare : 0;
        return rate <= 0 ? null : window.AfterOpenFor(now, TimeSpan.FromHours(Left / rate), zone);
    }
}
