using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

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
