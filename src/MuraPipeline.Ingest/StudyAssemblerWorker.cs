using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MuraPipeline.Ingest;

/// <summary>Runs <see cref="StudyAssembler"/> after the quiet period of <see cref="IngestOptions.QuietPeriodSeconds"/>.</summary>
public sealed class StudyAssemblerWorker(IServiceScopeFactory scopes, IOptions<IngestOptions> options, TimeProvider clock, ILogger<StudyAssemblerWorker> logger)
    : IngestLoop(scopes, clock, logger)
{
    private readonly IngestOptions _options = options.Value;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ScanIntervalMs);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = Scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<StudyAssembler>().AssembleAsync(Clock.GetUtcNow() - TimeSpan.FromSeconds(_options.QuietPeriodSeconds), 100, ct);
    }
}
