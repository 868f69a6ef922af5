using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Hosting;
using MuraPipeline.Ingest;
using MuraPipeline.Phantoms;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

public sealed class ServeTests
{
    [Fact]
    public void RabbitMq_connection_string_is_read_as_an_amqp_uri()
    {
        var a = RabbitMqAddress.Parse("amqp://mura:p%40ss@mq.example:5673/pacs%2Fvh");
        Assert.Equal(("mq.example", (ushort)5673, "pacs/vh", "mura", "p@ss", false), (a.Host, a.Port, a.VirtualHost, a.Username, a.Password, a.Tls));
        var d = RabbitMqAddress.Parse("amqps://broker");
        Assert.Equal(((ushort)5671, "/", "guest", true), (d.Port, d.VirtualHost, d.Username, d.Tls));
        Assert.Equal((new Uri("http://broker:15672/"), "guest", "guest"), (d.Management(null).Uri, d.Management(null).Username, d.Management(null).Password));

        // The management URL's own user and password are used, and the address shown carries neither.
        var m = a.Management("http://monitor:hunt%65r%202@mq.example:15672/");
        Assert.Equal((new Uri("http://mq.example:15672/"), "monitor", "hunter 2"), (m.Uri, m.Username, m.Password));
        Assert.DoesNotContain("hunt", m.ToString(), StringComparison.Ordinal);
        var ex = Assert.Throws<FormatException>(() => RabbitMqAddress.Parse("rabbitmq://broker"));
        Assert.Contains("ConnectionStrings:RabbitMq", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_role_reports_usage_to_masstransit_and_every_process_composes_the_one_threshold_policy()
    {
        var dir = MuraPipeline.Tests.Peers.TempDir();
        try
        {
            var overrides = new Dictionary<string, string?> { ["Database:SqliteFile"] = Path.Combine(dir, "m.db"), ["Inference:Thresholds:WRIST"] = "0.7" };
            using var serve = ServiceHost.Build(Roles.Parse("ingest,inference,api"), overrides);
            using var screen = ServiceHost.BuildEmbedded(Path.Combine(dir, "s.db"), overrides, Microsoft.Extensions.Logging.LogLevel.Error, (_, _) => { });
            foreach (var host in new[] { serve, screen })
            {
                Assert.False(host.Services.GetRequiredService<IOptions<MassTransit.UsageTelemetryOptions>>().Value.Enabled);
                Assert.Equal(0.7, host.Services.GetRequiredService<Evaluation.ThresholdPolicy>().Configured["wrist"]);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_receiver_hands_each_stored_instance_to_ingest_without_waiting_for_a_scan()
    {
        // Scans and settling set to ten minutes: an instance registered within the test's minute came by hand.
        var dir = Peers.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "watch"));
        var port = Peers.FreePort();
        var overrides = new Dictionary<string, string?>
        {
            ["Database:SqliteFile"] = Path.Combine(dir, "m.db"),
            ["Ingest:WatchDir"] = Path.Combine(dir, "watch"),
            ["Ingest:ScanIntervalMs"] = "600000",
            ["Ingest:SettleMs"] = "600000",
            ["Scp:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Scp:BindAddress"] = "127.0.0.1",
            ["Scp:AllowedCallingAeTitles"] = "MODALITY",
        };
        var roles = Roles.Parse("ingest");
        try
        {
            PhantomWriter.WriteAll(new PhantomGenerator(4242, minSide: 256, maxSide: 320), 1, Path.Combine(dir, "send"), PhantomFormat.Dicom);
            var sent = Directory.GetFiles(Path.Combine(dir, "send"), "*.dcm", SearchOption.AllDirectories);
            using var host = ServiceHost.Build(roles, overrides);
            await ServiceHost.PrepareAsync(host, roles, default);
            await host.StartAsync();
            try
            {
                var (code, _, stderr) = Peers.Run("storescu", ["-aet", "MODALITY", "-aec", "MURA", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), .. sent], null, null);
                Assert.True(code == 0, stderr);
                await Eventually.UntilAsync(
                    async () =>
                    {
                        await using var scope = host.Services.CreateAsyncScope();
                        return await scope.ServiceProvider.GetRequiredService<MuraDbContext>().Views.CountAsync(v => v.Width > 0) == sent.Length;
                    },
                    TimeSpan.FromMinutes(1),
                    $"the {sent.Length} received instances to be registered");
                Assert.Empty(InputFile.Enumerate([Path.Combine(dir, "watch")]).Files);
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Roles_are_a_subset_of_the_four_and_a_typo_is_refused()
    {
        Assert.Equal(["inference", "ingest"], Roles.Parse(" Ingest,inference ").Order(StringComparer.Ordinal));
        Assert.Throws<ArgumentException>(() => Roles.Parse("ingest,infrence"));
        Assert.Throws<ArgumentException>(() => Roles.Parse(""));
    }

    [Fact]
    public void Retry_intervals_are_parsed_from_configuration()
    {
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2)], new MessagingOptions { RetryIntervalsMs = "100, 2000" }.RetryIntervals());
    }
}
