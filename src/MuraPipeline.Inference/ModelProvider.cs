using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Model;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Inference;

/// <summary>
/// The model inference scores with, swappable while it runs. With <c>Inference:ModelPath</c> set the model is pinned to
/// that file; otherwise it follows the registry's active model (the bundled demo model while none is active). A batch
/// takes a lease on the model in hand and finishes with it, so a swap never splits a batch; the old model is disposed
/// when its last lease ends. Every model in use is registered, so every score's version names a known row.
/// </summary>
public sealed partial class ModelProvider(IServiceScopeFactory scopes, IOptions<InferenceOptions> options, ILogger<ModelProvider> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _unloadable = new(StringComparer.Ordinal);
    private Slot? _current;
    private Task<(OnnxModel Model, byte[] Bytes)>? _fileLoad;

    /// <summary>True when the configuration names a model file: the registry's active model is then not followed.</summary>
    public bool IsPinned => !string.IsNullOrWhiteSpace(options.Value.ModelPath);

    /// <summary>The version in hand now (null before the first load).</summary>
    public string? CurrentSha256 => Volatile.Read(ref _current)?.Model.Sha256;

    /// <summary>Loads the first model (once); a model that cannot load is a <see cref="ModelLoadException"/>, so a process fails at start.</summary>
    public async Task<OnnxModel> InitializeAsync(CancellationToken ct)
    {
        using var lease = await AcquireAsync(ct);
        return lease.Model;
    }

    /// <summary>
    /// Starts loading the configured model file (session and warm-up) on the thread pool, while the process does what
    /// needs no model: its database schema, its first look at the inputs. The first load takes it up where the file is
    /// the model to use (pinned, or no registry model active); a failure surfaces there. Needs no database.
    /// </summary>
    public void BeginLoadingFile()
    {
        if (Volatile.Read(ref _current) is not null || Volatile.Read(ref _fileLoad) is not null)
        {
            return;
        }

        var load = new Task<(OnnxModel Model, byte[] Bytes)>(LoadFile);
        if (Interlocked.CompareExchange(ref _fileLoad, load, null) is null)
        {
            load.Start(TaskScheduler.Default);
        }
    }

    /// <summary>A lease on the current model; dispose it when the batch is recorded.</summary>
    public async Task<ModelLease> AcquireAsync(CancellationToken ct)
    {
        while (true)
        {
            var slot = Volatile.Read(ref _current);
            if (slot is null)
            {
                await LoadFirstAsync(ct);
                continue;
            }

            if (slot.TryRetain())
            {
                return new ModelLease(slot);
            }
        }
    }

    /// <summary>Follows the registry: when another version has become active, loads it and swaps it in. Returns whether it swapped.</summary>
    public async Task<bool> RefreshAsync(CancellationToken ct)
    {
        if (IsPinned || Volatile.Read(ref _current) is null)
        {
            return false;
        }

        await _gate.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var registry = scope.ServiceProvider.GetRequiredService<ModelRegistry>();
            var active = await registry.GetActiveAsync(ct);
            var current = _current!;
            if (active is null || active.Sha256 == current.Model.Sha256 || _unloadable.Contains(active.Sha256))
            {
                return false;
            }

            OnnxModel next;
            try
            {
                next = await LoadRegisteredAsync(registry, active.Sha256, ct);
            }
            catch (ModelLoadException ex)
            {
                // Keep scoring with the model in hand; say once why the new one is not used.
                _unloadable.Add(active.Sha256);
                LogActivationFailed(logger, active.Sha256, ex.Message);
                return false;
            }

            var old = Interlocked.Exchange(ref _current, new Slot(next))!;
            LogSwapped(logger, old.Model.Sha256, next.Sha256);
            MuraMetrics.SetActiveModel(next.Sha256);
            old.Release();
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        Discard(Interlocked.Exchange(ref _fileLoad, null));
        Interlocked.Exchange(ref _current, null)?.Release();
        _gate.Dispose();
    }

    private async Task LoadFirstAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_current is not null)
            {
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var registry = scope.ServiceProvider.GetRequiredService<ModelRegistry>();
            OnnxModel model;
            if (!IsPinned && await registry.GetActiveAsync(ct) is { } active)
            {
                // Loaded early, but the registry names another model: not used, and a file that cannot load does not matter.
                Discard(Interlocked.Exchange(ref _fileLoad, null));
                model = await LoadRegisteredAsync(registry, active.Sha256, ct);
            }
            else
            {
                (model, var bytes) = await (Interlocked.Exchange(ref _fileLoad, null) ?? Task.FromResult(LoadFile()));
                try
                {
                    await model.RegisterAsync(registry, bytes, ct);
                }
                catch
                {
                    model.Dispose();
                    throw;
                }
            }

            LogLoaded(logger, model.Sha256, model.Path, model.Contract, IsPinned ? "pinned by Inference:ModelPath" : "following the registry");
            Volatile.Write(ref _current, new Slot(model));
            MuraMetrics.SetActiveModel(model.Sha256);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Disposes an early load's model once it is done (its failure, if any, is of no interest).</summary>
    private static void Discard(Task<(OnnxModel Model, byte[] Bytes)>? load) =>
        load?.ContinueWith(t => t.Result.Model.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    /// <summary>The configured model file, loaded and warmed up, with its bytes for the registry.</summary>
    private (OnnxModel Model, byte[] Bytes) LoadFile()
    {
        var o = options.Value;
        var bytes = OnnxModel.ReadFile(o.ResolvedModelPath);
        var model = OnnxModel.Load(bytes, o.ResolvedModelPath, o.ExecutionProvider, logger);
        try
        {
            model.WarmUp();
            return (model, bytes);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private async Task<OnnxModel> LoadRegisteredAsync(ModelRegistry registry, string sha, CancellationToken ct)
    {
        var bytes = await registry.ContentAsync(sha, ct) ?? throw new ModelLoadException($"model version {sha} has no stored file");
        var model = OnnxModel.Load(bytes, $"{sha[..12]} (registry)", options.Value.ExecutionProvider, logger);
        try
        {
            if (model.Sha256 != sha)
            {
                throw new ModelLoadException($"model version {sha}: the stored file's SHA-256 is {model.Sha256}");
            }

            model.WarmUp();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Model {Sha256} loaded from {Path} ({Contract} contract), {Mode}")]
    private static partial void LogLoaded(ILogger logger, string sha256, string path, string contract, string mode);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Model {Old} replaced by the newly active {New}; batches in hand finish with the old one")]
    private static partial void LogSwapped(ILogger logger, string old, string @new);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Error, Message = "The newly active model {Sha256} cannot be used, scoring goes on with the current one: {Reason}")]
    private static partial void LogActivationFailed(ILogger logger, string sha256, string reason);

    internal sealed class Slot(OnnxModel model)
    {
        private int _refs = 1;

        public OnnxModel Model { get; } = model;

        public bool TryRetain()
        {
            while (true)
            {
                var r = Volatile.Read(ref _refs);
                if (r == 0)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r)
                {
                    return true;
                }
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) == 0)
            {
                Model.Dispose();
            }
        }
    }
}
