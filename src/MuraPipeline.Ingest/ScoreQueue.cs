using MassTransit;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>
/// The inference queue (Messaging:ScoreQueue), to which ingest sends each view by address. Sending to a queue declares it
/// (durable, as the inference endpoint declares it), so a view sent before any inference worker has started waits there.
/// Views used to be published, and RabbitMQ drops a message that no queue is bound for yet: on a first deployment an
/// ingest that started before inference lost its first views until the reconciler re-sent them 10 minutes later.
/// </summary>
public sealed class ScoreQueue(ISendEndpointProvider endpoints, IOptions<MessagingOptions> messaging)
{
    /// <summary>Sends at most this many at once: a broker confirms each message, and waiting for one before sending the next held a pass to the round trip's pace.</summary>
    private const int InFlight = 32;

    private readonly Uri _address = new($"queue:{messaging.Value.ScoreQueue}");

    public async Task SendAsync(QueueableStudy study, QueueableView v, CancellationToken ct)
    {
        var endpoint = await endpoints.GetSendEndpoint(_address);
        await Publishing.Pipeline.ExecuteAsync(
            async token => await endpoint.Send(new ViewQueued(v.ViewId, study.StudyId, study.StudyInstanceUid, v.SopInstanceUid, study.BodyPart, v.DerivativePng), token),
            ct);
    }

    /// <summary>Sends every view of <paramref name="studies"/>, <see cref="InFlight"/> at a time.</summary>
    public Task SendAllAsync(IReadOnlyList<QueueableStudy> studies, CancellationToken ct) =>
        Parallel.ForEachAsync(
            studies.SelectMany(s => s.Views.Select(v => (Study: s, View: v))),
            new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = ct },
            async (x, token) => await SendAsync(x.Study, x.View, token));
}
