using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MuraPipeline.Ingest;

/// <summary>Runs <see cref="Reconciler"/> every <see cref="IngestOptions.ReconcileIntervalMs"/>.</summary>
public sealed class ReconcilerWorker(IServiceScopeFactory scopes, IOptions<IngestOptions> options, TimeProvider clock, ILogger<ReconcilerWorker> logger)
    : IngestLoop(scopes, clock, logger)
{
    private readonly IngestOptions _options = options.Value;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ReconcileIntervalMs);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = Scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Reconciler>().ReconcileAsync(Clock.GetUtcNow() - TimeSpan.FromSeconds(_options.ReconcileAfterSeconds), 500, ct);
    }
}
