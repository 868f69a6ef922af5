using MassTransit;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using Polly;
using Polly.Retry;

namespace MuraPipeline.Ingest;

/// <summary>Sending and publishing retry a broker hiccup (or a message left hanging for 20 s) a few times with backoff before the pass gives up (and the next pass tries again).</summary>
internal static class Publishing
{
    /// <summary>Tells every role that a study ingest completed (its last view could not be read) is done.</summary>
    public static ValueTask StudyCompletedAsync(IPublishEndpoint publisher, CompletedStudy study, CancellationToken ct)
    {
        var message = new StudyScored(study.StudyId, study.StudyInstanceUid, study.BodyPart, study.ScoredViews, study.FailedViews, study.Score, study.Abnormal, study.ModelSha256);
        return Pipeline.ExecuteAsync(async token => await publisher.Publish(message, token), ct);
    }

    public static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            UseJitter = true,
        })
        // Per attempt: a publish whose confirm never comes (the broker restarted under it) is cancelled and tried again,
        // rather than holding the ingest loop for good (seen once in DistributedTests' RabbitMQ restart).
        .AddTimeout(TimeSpan.FromSeconds(20))
        .Build();
}
