using MuraPipeline.Pacs;

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
    public void Node_settings_are_checked_and_an_unknown_node_names_the_known_ones()
    {
        var options = new PacsOptions { Nodes = { ["main"] = new PacsNode { AeTitle = "PACS", Port = 104, Retrieve = "fetch" } }, PullWindow = "25:00-01:00" };
        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();
        Assert.Contains(errors, e => e!.Contains("Pacs:Nodes:main:Retrieve", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.Contains("Pacs:PullWindow", StringComparison.Ordinal));
        Assert.Contains("configured: main", Assert.Throws<PacsConfigurationException>(() => options.Node("other")).Message, StringComparison.Ordinal);
    }
}
