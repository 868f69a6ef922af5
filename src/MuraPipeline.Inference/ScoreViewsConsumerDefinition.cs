using MassTransit;
using Microsoft.Extensions.Options;

namespace MuraPipeline.Inference;

/// <summary>Batch limits and endpoint concurrency from <see cref="InferenceOptions"/>.</summary>
public sealed class ScoreViewsConsumerDefinition : ConsumerDefinition<ScoreViewsConsumer>
{
    private readonly InferenceOptions _options;

    public ScoreViewsConsumerDefinition(IOptions<InferenceOptions> options, IOptions<ServiceDefaults.MessagingOptions> messaging)
    {
        _options = options.Value;
        EndpointName = messaging.Value.ScoreQueue;
        ConcurrentMessageLimit = _options.BatchSize * _options.Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ScoreViewsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = Math.Max(endpointConfigurator.PrefetchCount, _options.BatchSize * _options.Concurrency * 2);
        consumerConfigurator.Options<BatchOptions>(b => b
            .SetMessageLimit(_options.BatchSize)
            .SetTimeLimit(TimeSpan.FromMilliseconds(_options.BatchTimeLimitMs))
            .SetConcurrencyLimit(_options.Concurrency));
    }
}
