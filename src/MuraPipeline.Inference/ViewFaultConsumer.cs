using MassTransit;
using Microsoft.Extensions.Logging;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Inference;

/// <summary>
/// A view message that kept failing (its retries spent, the message now in the <c>_error</c> queue) fails its view
/// with the reason, so its study completes and an operator sees why; replaying the message from the error queue
/// after a fix finds the view terminal and changes nothing.
/// </summary>
public sealed partial class ViewFaultConsumer(StudyStore store, ILogger<ViewFaultConsumer> logger) : IConsumer<Fault<ViewQueued>>
{
    public async Task Consume(ConsumeContext<Fault<ViewQueued>> context)
    {
        var view = context.Message.Message;
        var first = context.Message.Exceptions.FirstOrDefault();
        var reason = first is null ? "scoring failed" : first.Message.Split('\n')[0];
        LogFaulted(logger, view.StudyInstanceUid, view.SopInstanceUid, reason);
        var tally = new OutcomeTally();
        var completed = await store.FailViewAsync(view.ViewId, reason, null, context.CancellationToken, tally);
        MuraMetrics.ViewsFailed.WithLabels("inference").Inc(tally.Failed);
        if (completed is not null)
        {
            await context.Publish(StudyScoredMessage.From(completed), context.CancellationToken);
        }
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "View {SopInstanceUid} of study {StudyInstanceUid} faulted after its retries and is marked failed: {Reason}")]
    private static partial void LogFaulted(ILogger logger, string studyInstanceUid, string sopInstanceUid, string reason);
}
