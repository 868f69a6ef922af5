using MassTransit;
using Microsoft.Extensions.Options;

namespace MuraPipeline.Inference;

public sealed class ViewFaultConsumerDefinition : ConsumerDefinition<ViewFaultConsumer>
{
    public ViewFaultConsumerDefinition(IOptions<ServiceDefaults.MessagingOptions> messaging) => EndpointName = messaging.Value.FaultQueue;
}
