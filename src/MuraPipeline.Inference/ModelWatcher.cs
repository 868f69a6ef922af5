using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Inference;

/// <summary>Polls the registry for a newly activated model; a database hiccup is logged and the current model stays.</summary>
public sealed class ModelWatcher(ModelProvider provider, IOptions<InferenceOptions> options, TimeProvider clock, ILogger<ModelWatcher> logger) : BackgroundLoop(clock, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(options.Value.ModelPollMs);

    /// <summary>A worker pinned to a model file never polls.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => provider.IsPinned ? Task.CompletedTask : base.ExecuteAsync(stoppingToken);

    protected override Task RunOnceAsync(CancellationToken ct) => provider.RefreshAsync(ct);
}
