using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;

namespace MuraPipeline.Evaluation;

/// <summary>
/// The operating point of every study call: the scoring model's calibrated threshold for the body part, then the
/// configured <c>Inference:Thresholds:PART</c>, then 0.5. A model's calibrated thresholds are read once and cached by
/// its SHA-256 for <see cref="ScoringOptions.ThresholdRefreshSeconds"/>; <see cref="CalibrateAsync"/> stores new ones and
/// refreshes the cache at once, so this process uses them from its next call (other processes within the refresh time).
/// </summary>
public sealed class ThresholdPolicy(IServiceScopeFactory scopes, IOptions<ScoringOptions> options, TimeProvider clock) : IThresholdPolicy
{
    private readonly ScoringOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, (IReadOnlyDictionary<string, double> Thresholds, DateTimeOffset Until)> _calibrated = new(StringComparer.Ordinal);

    /// <summary>The configured thresholds (Inference:Thresholds), for models without calibrated ones.</summary>
    public IReadOnlyDictionary<string, double> Configured => _options.Thresholds;

    public async ValueTask<double> ThresholdAsync(string? modelSha256, string? bodyPart, CancellationToken ct) =>
        Resolve(modelSha256 is null ? null : await CalibratedAsync(modelSha256, ct), _options.Thresholds, bodyPart);

    /// <summary>The operating point of one model for every study type (for a caller that makes many calls, e.g. the gate or evaluate).</summary>
    public async ValueTask<Func<string?, double>> ForModelAsync(string? modelSha256, CancellationToken ct)
    {
        var calibrated = modelSha256 is null ? null : await CalibratedAsync(modelSha256, ct);
        return part => Resolve(calibrated, _options.Thresholds, part);
    }

    /// <summary>Stores a model's calibrated thresholds (replacing its earlier ones) and refreshes the cache.</summary>
    public async Task CalibrateAsync(string modelSha256, IReadOnlyDictionary<string, double> thresholds, CancellationToken ct)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ModelRegistry>().SetThresholdsAsync(modelSha256, thresholds, ct);
        }

        _calibrated.TryRemove(modelSha256, out _);
    }

    /// <summary>The policy as plain code: calibrated for the part, else configured for the part, else 0.5.</summary>
    public static double Resolve(IReadOnlyDictionary<string, double>? calibrated, IReadOnlyDictionary<string, double>? configured, string? bodyPart)
    {
        if (bodyPart is null)
        {
            return Thresholds.Default;
        }

        if (calibrated is not null && calibrated.TryGetValue(bodyPart, out var c))
        {
            return c;
        }

        return configured is not null && configured.TryGetValue(bodyPart, out var t) ? t : Thresholds.Default;
    }

    private async ValueTask<IReadOnlyDictionary<string, double>> CalibratedAsync(string sha, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_calibrated.TryGetValue(sha, out var cached) && cached.Until > now)
        {
            return cached.Thresholds;
        }

        await using var scope = scopes.CreateAsyncScope();
        var json = await scope.ServiceProvider.GetRequiredService<ModelRegistry>().ThresholdsAsync(sha, ct);
        var thresholds = new Dictionary<string, double>(ModelRegistry.ParseThresholds(json), StringComparer.OrdinalIgnoreCase);
        _calibrated[sha] = (thresholds, now + TimeSpan.FromSeconds(_options.ThresholdRefreshSeconds));
        return thresholds;
    }
}
