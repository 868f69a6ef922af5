using MuraPipeline.Cli.Commands;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void The_configuration_page_is_what_mura_settings_prints_from_the_options_classes()
    {
        // The built `mura` (its own XML documentation beside it) prints the page; the checked-in page must be the same.
        var (code, stdout, stderr) = Peers.Mura(null, null, "settings", "--markdown");
        Assert.True(code == 0, stderr);
        var page = Path.Combine(Peers.RepositoryRoot(), "docs", "configuration.md");
        Assert.True(
            File.ReadAllText(page) == stdout,
            "docs/configuration.md differs from the options classes: run `dotnet src/MuraPipeline.Cli/bin/Release/net10.0/mura.dll settings --markdown > docs/configuration.md`");
    }

    [Fact]
    public void Every_setting_says_what_it_does_and_every_section_a_process_reads_is_listed()
    {
        var groups = SettingsCatalog.Groups();
        var undocumented = groups.SelectMany(g => g.Settings).Where(s => s.Description.Length == 0).Select(s => s.Key).ToList();
        Assert.True(undocumented.Count == 0, "settings without a summary: " + string.Join(", ", undocumented));

        // The sections read outside the host's options (connection strings, the database, the key ring) are there too.
        var keys = groups.SelectMany(g => g.Settings).Select(s => s.Environment).ToHashSet(StringComparer.Ordinal);
        foreach (var key in new[] { "ConnectionStrings__Postgres", "ConnectionStrings__RabbitMq", "Database__SqliteFile", "Database__StartWaitSeconds", "Database__MigrateOnStart", "DataProtection__KeyFile", "RabbitMq__ManagementUrl", "Ingest__QuietPeriodSeconds", "Inference__BatchSize", "Inference__Thresholds__NAME" })
        {
            Assert.Contains(key, keys);
        }

        var quiet = groups.SelectMany(g => g.Settings).Single(s => s.Key == "Ingest:QuietPeriodSeconds");
        Assert.Equal(("10", "0 to 86400"), (quiet.Default, quiet.Allowed));
    }

    [Fact]
    public void A_setting_of_the_wrong_type_stops_the_command_with_the_setting_named()
    {
        var dir = Peers.TempDir();
        try
        {
            var (code, stdout, stderr) = Peers.Mura(new Dictionary<string, string> { ["Database__StartWaitSeconds"] = "soon" }, dir, "serve", "--roles", "ingest", "--urls", "http://127.0.0.1:0");
            Assert.NotEqual(0, code);
            Assert.Contains("Database:StartWaitSeconds", stdout + stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
