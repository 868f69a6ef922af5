using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Tests;

namespace MuraPipeline.Evaluation.Tests;

/// <summary>The one threshold policy: calibrated for the scoring model, then configured, then 0.5.</summary>
public sealed class ThresholdPolicyTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Calibrated_beats_configured_beats_the_default_per_body_part()
    {
        var calibrated = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase) { ["WRIST"] = 0.3 };
        var configured = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase) { ["WRIST"] = 0.9, ["HAND"] = 0.7 };
        Assert.Equal(0.3, ThresholdPolicy.Resolve(calibrated, configured, "wrist"));
        Assert.Equal(0.7, ThresholdPolicy.Resolve(calibrated, configured, "HAND"));
        Assert.Equal(0.5, ThresholdPolicy.Resolve(calibrated, configured, "ELBOW"));
        Assert.Equal(0.5, ThresholdPolicy.Resolve(calibrated, configured, null));
        Assert.Equal(0.9, ThresholdPolicy.Resolve(null, configured, "WRIST"));
    }

    [Fact]
    public async Task Calibrating_through_the_policy_takes_effect_at_once_and_the_stored_thresholds_serve_a_fresh_process()
    {
        var file = Path.Combine(_dir, "t.db");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:Thresholds:WRIST"] = "0.8", ["Inference:ThresholdRefreshSeconds"] = "3600" }).Build();
        ServiceProvider Services() => new ServiceCollection().AddMuraSqlite(file).AddThresholdPolicy(configuration).BuildServiceProvider();
        await using var services = Services();
        await using (var scope = services.CreateAsyncScope())
        {
            await DatabaseSetup.MigrateAsync(scope.ServiceProvider.GetRequiredService<MuraDbContext>(), default);
            Assert.True(await scope.ServiceProvider.GetRequiredService<ModelRegistry>().AddAsync("abc123", "m", "/m.onnx", "mura", null, [1], default));
        }

        var policy = services.GetRequiredService<ThresholdPolicy>();
        Assert.Equal(0.8, await policy.ThresholdAsync("abc123", "WRIST", default)); // cached now, for an hour
        await policy.CalibrateAsync("abc123", new Dictionary<string, double> { ["wrist"] = 0.35 }, default);
        Assert.Equal(0.35, await policy.ThresholdAsync("abc123", "WRIST", default));
        Assert.Equal(0.8, await policy.ThresholdAsync("another-model", "WRIST", default));

        await using var fresh = Services();
        Assert.Equal(0.35, await fresh.GetRequiredService<ThresholdPolicy>().ThresholdAsync("abc123", "wrist", default));
    }
}
