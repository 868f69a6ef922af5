using MuraPipeline.Model;

namespace MuraPipeline.Inference;

/// <summary>A batch's hold on one model version.</summary>
public sealed class ModelLease : IDisposable
{
    private ModelProvider.Slot? _slot;

    internal ModelLease(ModelProvider.Slot slot)
    {
        _slot = slot;
        Model = slot.Model;
    }

    public OnnxModel Model { get; }

    public void Dispose() => Interlocked.Exchange(ref _slot, null)?.Release();
}
