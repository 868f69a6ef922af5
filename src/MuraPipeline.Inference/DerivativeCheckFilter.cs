using MassTransit;
using MuraPipeline.Contracts;
using MuraPipeline.Imaging;

namespace MuraPipeline.Inference;

/// <summary>
/// Checks a view's derivative before it joins a batch. An undecodable one faults that message alone: it is retried
/// under the bus's policy, then lands in the <c>_error</c> queue with a <see cref="Fault{T}"/> that
/// <see cref="ViewFaultConsumer"/> turns into a failed view with the reason, while the rest of the batch is scored.
/// </summary>
public sealed class DerivativeCheckFilter : IFilter<ConsumeContext>
{
    public const string Checker = "derivative-check";

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        if (context.TryGetMessage<ViewQueued>(out var view))
        {
            try
            {
                _ = Png.DecodeGray(view.Message.DerivativePng);
            }
            catch (PngException ex)
            {
                var fault = new UnreadableDerivativeException($"derivative image is unreadable: {ex.Message}", ex);

                // Raised as a consumer would: under retry the fault is held until the last attempt fails.
                await view.NotifyFaulted(TimeSpan.Zero, Checker, fault);
                throw fault;
            }
        }

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope(Checker);
}

public sealed class UnreadableDerivativeException : Exception
{
    public UnreadableDerivativeException()
    {
    }

    public UnreadableDerivativeException(string message)
        : base(message)
    {
    }

    public UnreadableDerivativeException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
