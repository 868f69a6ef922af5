using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Imaging;

namespace MuraPipeline.Model;

/// <summary>
/// A model under the ONNX contract (ARCHITECTURE.md): input <c>image</c> [N,C,H,W] float32; outputs <c>abnormal</c>
/// [N] or [N,1], optional <c>body_part</c> [N,7] and <c>cam</c> [N,h,w]. C, H, W, mean and std come from the model's
/// metadata (3×224×224 and ImageNet statistics by default). The file's SHA-256 is its version.
/// </summary>
public sealed partial class OnnxModel : IDisposable
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    private readonly InferenceSession _session;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly bool _hasBodyPart;
    private readonly bool _hasCam;
    private readonly ModelAdapter? _adapter;

    private OnnxModel(string path, string sha, InferenceSession session, int c, int h, int w, float[] mean, float[] std, IReadOnlyDictionary<string, string> metadata, ModelAdapter? adapter = null)
    {
        Path = path;
        Sha256 = sha;
        _session = session;
        Channels = c;
        Height = h;
        Width = w;
        _mean = mean;
        _std = std;
        Metadata = metadata;
        _adapter = adapter;
        _hasBodyPart = adapter?.BodyPartOutput is not null || session.OutputMetadata.ContainsKey("body_part");
        _hasCam = adapter is null && session.OutputMetadata.ContainsKey("cam");
    }

    /// <summary>"mura" for our contract, else the adapter's name ("multitask").</summary>
    public string Contract => _adapter?.Name ?? "mura";

    public string Path { get; }

    public string Sha256 { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The provider the session runs on: "cpu", or "cuda"/"tensorrt" when the configured one loaded.</summary>
    public string ExecutionProvider { get; private set; } = "cpu";

    /// <summary>Registers this model (its bytes, contract and metadata); a version already there is left as it is.</summary>
    public Task<bool> RegisterAsync(ModelRegistry registry, byte[] bytes, CancellationToken ct, string? name = null) =>
        registry.AddAsync(Sha256, name ?? System.IO.Path.GetFileName(Path), Path, Contract, JsonSerializer.Serialize(Metadata), bytes, ct);

    /// <summary>Loads and checks a model; any problem is a <see cref="ModelLoadException"/> naming the file.</summary>
    public static OnnxModel Load(string path, string executionProvider = "cpu", ILogger? logger = null) =>
        Load(ReadFile(path), path, executionProvider, logger);

    /// <summary>A model file's bytes (to load and to register from one read); a missing or unreadable file is a <see cref="ModelLoadException"/>.</summary>
    public static byte[] ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"model file {path} does not exist");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new ModelLoadException($"model file {path} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Loads and checks a model from its bytes (as the registry keeps them); <paramref name="name"/> is what errors call it.</summary>
    public static OnnxModel Load(byte[] bytes, string name, string executionProvider = "cpu", ILogger? logger = null)
    {
        if (bytes.Length == 0)
        {
            throw new ModelLoadException($"model file {name} is empty (0 bytes)");
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var (options, provider) = CreateSessionOptions(executionProvider, logger);
        InferenceSession session;
        try
        {
            session = NewSession(bytes, options, ref provider, logger);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"model file {name} is not a valid ONNX model: {FirstLine(ex.Message)}", ex);
        }
        finally
        {
            options.Dispose();
        }

        try
        {
            var model = FromSession(name, sha, session);
            model.ExecutionProvider = provider;
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>A session on the provider's options; a GPU provider that loaded but cannot start (no device) falls back to the CPU.</summary>
    private static InferenceSession NewSession(byte[] bytes, SessionOptions options, ref string provider, ILogger? logger)
    {
        try
        {
            return new InferenceSession(bytes, options);
        }
        catch (OnnxRuntimeException ex) when (provider != "cpu")
        {
            var reason = ProviderFailure(ex.Message);
            if (logger is not null && Warned.TryAdd($"{provider}|{reason}", true))
            {
                LogProviderFallback(logger, provider, reason);
            }

            provider = "cpu";
            using var cpu = CpuOptions();
            return new InferenceSession(bytes, cpu);
        }
    }

    private static OnnxModel FromSession(string path, string sha, InferenceSession session)
    {
        var meta = session.ModelMetadata.CustomMetadataMap;
        if (!session.InputMetadata.ContainsKey("image") && ModelAdapter.Find(session) is { } adapter)
        {
            // A foreign contract (the published multi-task MURA models): grayscale in, softmax pairs and joint types out.
            var ai = session.InputMetadata[adapter.Input];
            var ah = ai.Dimensions[2] > 0 ? ai.Dimensions[2] : 224;
            var aw = ai.Dimensions[3] > 0 ? ai.Dimensions[3] : 224;
            var am = Floats(meta, "mura.input.mean", 1, [0.5f], path);
            var astd = Floats(meta, "mura.input.std", 1, [0.25f], path);
            return new OnnxModel(path, sha, session, 1, ah, aw, am, astd, new Dictionary<string, string>(meta), adapter);
        }

        if (!session.InputMetadata.TryGetValue("image", out var input))
        {
            throw new ModelLoadException($"model file {path} does not follow the contract: it has no input named 'image' (inputs: {string.Join(", ", session.InputMetadata.Keys)})");
        }

        if (input.ElementType != typeof(float) || input.Dimensions.Length != 4)
        {
            throw new ModelLoadException($"model file {path} does not follow the contract: input 'image' must be float32 [N,C,H,W], not {input.ElementType.Name} of rank {input.Dimensions.Length}");
        }

        if (!session.OutputMetadata.ContainsKey("abnormal"))
        {
            throw new ModelLoadException($"model file {path} does not follow the contract: it has no output named 'abnormal' (outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
        }

        int Dim(int index, string key, int fallback)
        {
            if (meta.TryGetValue(key, out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0)
            {
                return v;
            }

            return input.Dimensions[index] > 0 ? input.Dimensions[index] : fallback;
        }

        var c = Dim(1, "mura.input.channels", 3);
        var h = Dim(2, "mura.input.height", 224);
        var w = Dim(3, "mura.input.width", 224);
        if (input.Dimensions[1] > 0 && input.Dimensions[1] != c)
        {
            throw new ModelLoadException($"model file {path}: metadata says {c} channels but the input has {input.Dimensions[1]}");
        }

        var mean = Floats(meta, "mura.input.mean", c, c == 3 ? ImageNetMean : Enumerable.Repeat(0.5f, c).ToArray(), path);
        var std = Floats(meta, "mura.input.std", c, c == 3 ? ImageNetStd : Enumerable.Repeat(0.25f, c).ToArray(), path);
        return new OnnxModel(path, sha, session, c, h, w, mean, std, new Dictionary<string, string>(meta));
    }

    private static float[] Floats(Dictionary<string, string> meta, string key, int count, float[] fallback, string path)
    {
        if (!meta.TryGetValue(key, out var s))
        {
            return fallback;
        }

        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != count || !parts.All(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
        {
            throw new ModelLoadException($"model file {path}: metadata {key}='{s}' must be {count} comma-separated numbers");
        }

        return parts.Select(p => float.Parse(p, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Warnings already given, by provider and reason: a worker that loads model after model warns once.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Warned = new(StringComparer.Ordinal);

    /// <summary>
    /// What every session starts from: all graph optimisations, and ONNX Runtime's threads stop spinning when a Run
    /// returns (they still spin between the operators of one Run, where waking a parked thread costs more than it
    /// saves). Between two batches the worker decodes, records and publishes on the same cores, and threads spinning
    /// there took about a tenth of screen's CPU: 9.4-10.0 against 10.2-11.5 s for the 200 bench studies, with the same
    /// wall time, and 6.2-6.5 against 7.2-7.3 s for the distributed inference process.
    /// </summary>
    private static SessionOptions CpuOptions()
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.AddSessionConfigEntry("session.force_spinning_stop", "1");
        return options;
    }

    /// <summary>
    /// Session options for the configured provider (cpu, cuda or tensorrt). A GPU provider that cannot load (no GPU, no
    /// driver, a CUDA or cuDNN of another major, the CPU-only package) leaves the session on the CPU, and the process logs
    /// one warning naming the library that is missing.
    /// </summary>
    private static (SessionOptions Options, string Provider) CreateSessionOptions(string provider, ILogger? logger)
    {
        var options = CpuOptions();
        var wanted = provider.ToLowerInvariant();
        var used = "cpu";
        if (wanted == "tensorrt" && TryAppend(options, "tensorrt", o => o.AppendExecutionProvider_Tensorrt(), logger))
        {
            used = "tensorrt";
        }

        if (wanted is "cuda" or "tensorrt" && TryAppend(options, "cuda", o => o.AppendExecutionProvider_CUDA(), logger) && used == "cpu")
        {
            used = "cuda";
        }

        return (options, used);
    }

    private static bool TryAppend(SessionOptions options, string provider, Action<SessionOptions> append, ILogger? logger)
    {
        try
        {
            append(options);
            return true;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            var reason = ProviderFailure(WhyProviderWillNotLoad(provider) ?? ex.Message);
            if (logger is not null && Warned.TryAdd($"{provider}|{reason}", true))
            {
                LogProviderFallback(logger, provider, reason);
            }

            return false;
        }
    }

    /// <summary>
    /// ONNX Runtime's own error says only that the provider library failed to load; the loader says which of its
    /// dependencies is missing. Null when the provider library loads (the failure lies elsewhere).
    /// </summary>
    private static string? WhyProviderWillNotLoad(string provider)
    {
        var name = $"libonnxruntime_providers_{provider}.so";
        var path = new[] { System.IO.Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", name), System.IO.Path.Combine(AppContext.BaseDirectory, name) }.FirstOrDefault(File.Exists);
        if (path is null)
        {
            return $"{name}: cannot open shared object file (this build has ONNX Runtime's CPU-only package; the default build has the GPU one)";
        }

        try
        {
            System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>What an operator needs from ONNX Runtime's load error: the missing library, when it names one.</summary>
    public static string ProviderFailure(string message)
    {
        var missing = MissingLibrary().Match(message);
        return missing.Success ? $"{missing.Groups[1].Value} is missing: {FirstLine(message[missing.Index..])}" : FirstLine(message);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(lib[A-Za-z0-9_.+-]+\.so[0-9.]*): cannot open shared object file")]
    private static partial System.Text.RegularExpressions.Regex MissingLibrary();

    /// <summary>
    /// Scores one blank image of twice the input's size (the resize a derivative takes), before the model takes real
    /// views: the code on the way is compiled and ONNX Runtime has made its first run (on a GPU, its kernel choice),
    /// so the first batch of a backlog does not pay for them. A failure here is the model's, and loading fails with it.
    /// </summary>
    public void WarmUp()
    {
        try
        {
            Predict([new GrayImage(Width * 2, Height * 2, new byte[Width * Height * 4])]);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelLoadException($"model {Path} does not run: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>Scores a batch of derivatives; the outputs come back in input order.</summary>
    public IReadOnlyList<ViewPrediction> Predict(IReadOnlyList<GrayImage> images)
    {
        if (images.Count == 0)
        {
            return [];
        }

        // The batch tensor is a pooled buffer, handed back as soon as the run has read it.
        var image = Channels * Height * Width;
        var data = System.Buffers.ArrayPool<float>.Shared.Rent(images.Count * image);
        IDisposableReadOnlyCollection<DisposableNamedOnnxValue> run;
        try
        {
            Parallel.For(0, images.Count, n => FillInput(images[n], data.AsSpan(n * image, image)));
            var tensor = new DenseTensor<float>(data.AsMemory(0, images.Count * image), [images.Count, Channels, Height, Width]);
            run = _session.Run([NamedOnnxValue.CreateFromTensor(_adapter?.Input ?? "image", tensor)]);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(data);
        }

        using var results = run;
        if (_adapter is not null)
        {
            return _adapter.Read(results, images.Count);
        }

        var abnormal = results.First(r => r.Name == "abnormal").AsTensor<float>();
        var parts = _hasBodyPart ? results.First(r => r.Name == "body_part").AsTensor<float>() : null;
        var cam = _hasCam ? results.First(r => r.Name == "cam").AsTensor<float>() : null;
        var output = new ViewPrediction[images.Count];
        for (var n = 0; n < images.Count; n++)
        {
            var p = abnormal.Rank == 1 ? abnormal[n] : abnormal[n, 0];
            var part = parts is null ? null : ArgMax(parts, n, StudyTypes.All);
            float[]? grid = null;
            int gw = 0, gh = 0;
            if (cam is not null)
            {
                gh = cam.Dimensions[1];
                gw = cam.Dimensions[2];
                grid = new float[gw * gh];
                for (var y = 0; y < gh; y++)
                {
                    for (var x = 0; x < gw; x++)
                    {
                        grid[(y * gw) + x] = cam[n, y, x];
                    }
                }
            }

            output[n] = new ViewPrediction(Math.Clamp(p, 0, 1), part, grid, gw, gh);
        }

        return output;
    }

    /// <summary>One image's model input, [C, H, W]: the derivative resized to the model's input and normalised per channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FillInput(GrayImage derivative, Span<float> input)
    {
        // Resized into the last channel's plane, then normalised per channel from it (the last in place).
        var plane = Height * Width;
        var resized = input.Slice((Channels - 1) * plane, plane);
        Resampler.Resize(derivative, Width, Height, resized);
        for (var c = 0; c < Channels; c++)
        {
            var dst = input.Slice(c * plane, plane);
            var m = _mean[c];
            var s = _std[c];
            var i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // The same three IEEE operations per value, eight at a time.
                var (mv, sv, scale) = (Vector256.Create(m), Vector256.Create(s), Vector256.Create(255f));
                for (; i + 8 <= plane; i += 8)
                {
                    (((Vector256.Create<float>(resized.Slice(i, 8)) / scale) - mv) / sv).CopyTo(dst.Slice(i, 8));
                }
            }

            for (; i < plane; i++)
            {
                dst[i] = ((resized[i] / 255f) - m) / s;
            }
        }
    }

    /// <summary>The name at the highest logit of row <paramref name="n"/>, or null when the model has more classes than names.</summary>
    internal static string? ArgMax(Tensor<float> logits, int n, IReadOnlyList<string> names)
    {
        var best = 0;
        for (var k = 1; k < logits.Dimensions[1]; k++)
        {
            if (logits[n, k] > logits[n, best])
            {
                best = k;
            }
        }

        return best < names.Count ? names[best] : null;
    }

    /// <summary>Runs already-normalised input [n,C,H,W] and returns every output flattened (for contract checks).</summary>
    public IReadOnlyDictionary<string, float[]> RunRaw(float[] input, int n)
    {
        var tensor = new DenseTensor<float>(input, [n, Channels, Height, Width]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_adapter?.Input ?? "image", tensor)]);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    public void Dispose() => _session.Dispose();

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Execution provider {Provider} is not available: {Reason}; scoring on the CPU")]
    private static partial void LogProviderFallback(ILogger logger, string provider, string reason);
}
