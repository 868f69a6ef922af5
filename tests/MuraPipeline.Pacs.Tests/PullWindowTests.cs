namespace MuraPipeline.Pacs.Tests;

public sealed class PullWindowTests
{
    [Fact]
    public void A_window_may_wrap_midnight_and_empty_means_always()
    {
        var night = PullWindow.Parse("20:00-06:00");
        Assert.True(night.IsOpen(new TimeOnly(23, 30)));
        Assert.True(night.IsOpen(new TimeOnly(5, 59)));
        Assert.False(night.IsOpen(new TimeOnly(6, 0)));
        Assert.False(night.IsOpen(new TimeOnly(12, 0)));
        Assert.Equal(TimeSpan.FromHours(8), night.UntilOpen(new TimeOnly(12, 0)));

        var lunch = PullWindow.Parse("12:00-13:30");
        Assert.True(lunch.IsOpen(new TimeOnly(12, 45)));
        Assert.False(lunch.IsOpen(new TimeOnly(13, 30)));
        Assert.Equal(TimeSpan.FromHours(22.5), lunch.UntilOpen(new TimeOnly(13, 30)));

        Assert.True(PullWindow.Parse("").IsOpen(new TimeOnly(3, 0)));
        Assert.Contains("Pacs:PullWindow", Assert.Throws<PacsConfigurationException>(() => PullWindow.Parse("8pm-6am")).Message, StringComparison.Ordinal);
        Assert.Throws<PacsConfigurationException>(() => PullWindow.Parse("06:00-06:00"));
    }

    [Fact]
    public void Open_time_is_counted_only_inside_the_window()
    {
        var night = PullWindow.Parse("20:00-06:00");
        var utc = TimeZoneInfo.Utc;
        var noon = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(10.0 / 24, night.OpenShare, 6);

        // From noon: closed until 20:00, then 10 h open a night.
        Assert.Equal(noon.AddHours(8 + 3), night.AfterOpenFor(noon, TimeSpan.FromHours(3), utc));
        Assert.Equal(noon.AddHours(8 + 10), night.AfterOpenFor(noon, TimeSpan.FromHours(10), utc));
        Assert.Equal(noon.AddDays(1).AddHours(8 + 2), night.AfterOpenFor(noon, TimeSpan.FromHours(12), utc));

        // From inside the window: what is left of tonight first.
        var late = new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero);
        Assert.Equal(late.AddHours(5), night.AfterOpenFor(late, TimeSpan.FromHours(5), utc));
        Assert.Equal(late.AddHours(7 + 14 + 1), night.AfterOpenFor(late, TimeSpan.FromHours(8), utc));
        Assert.Equal(noon.AddHours(30), PullWindow.Always.AfterOpenFor(noon, TimeSpan.FromHours(30), utc));
    }

    [Fact]
    public void A_jobs_estimated_end_uses_the_last_hours_rate_and_the_window()
    {
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        var job = new Data.PullJob { Node = "pacs", Retrieve = "move", Query = "all studies", CreatedBy = "cli", State = Data.PullJobState.Active };
        var progress = new PullProgress(job, Pending: 200, Retrieving: 0, Received: 90, Failed: 10, Incomplete: 0, Retrieved: 300, Skipped: 0, EndedLastHour: 50, FirstStarted: now.AddHours(-4));
        Assert.Equal(25, progress.PerHourSinceStart(now));
        Assert.Equal(now.AddHours(4), progress.EstimatedEnd(now, PullWindow.Always, TimeZoneInfo.Utc));
        Assert.Equal(now.AddHours(8 + 4), progress.EstimatedEnd(now, PullWindow.Parse("20:00-06:00"), TimeZoneInfo.Utc));

        // No study ended in the last hour (the window was shut): the rate since the start, scaled to the window's open hours.
        var shut = progress with { EndedLastHour = 0 };
        // 25 an hour over the 10 open hours of 24: 200 studies take 19.2 open hours, tonight's 10 and 9.2 of tomorrow night's.
        Assert.Equal(new DateTimeOffset(2026, 12, 9, 5, 12, 0, TimeSpan.Zero), shut.EstimatedEnd(now, PullWindow.Parse("20:00-06:00"), TimeZoneInfo.Utc));
        Assert.Null((progress with { Pending = 0 }).EstimatedEnd(now, PullWindow.Always, TimeZoneInfo.Utc));
        Assert.Null((progress with { EndedLastHour = 0, FirstStarted = null }).EstimatedEnd(now, PullWindow.Always, TimeZoneInfo.Utc));
    }

    [Fact]
    public void Node_settings_are_checked_and_an_unknown_node_names_the_known_ones()
    {
        var options = new PacsOptions { Nodes = { ["main"] = new PacsNode { AeTitle = "PACS", Port = 104, Retrieve = "fetch" } }, PullWindow = "25:00-01:00" };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();
        Assert.Contains(errors, e => e!.Contains("Pacs:Nodes:main:Retrieve", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("Pacs:PullWindow", StringComparison.Ordinal));
        Assert.Contains("configured: main", Assert.Throws<PacsConfigurationException>(() => options.Node("other")).Message, StringComparison.Ordinal);
    }
}
