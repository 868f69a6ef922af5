using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Inference;

public sealed class ViewFaultConsumerDefinition : ConsumerDefinition<ViewFaultConsumer>
{
    public ViewFaultConsumerDefinition(IOptions<ServiceDefaults.MessagingOptions> messaging) => EndpointName = messaging.Value.FaultQueue;
}
