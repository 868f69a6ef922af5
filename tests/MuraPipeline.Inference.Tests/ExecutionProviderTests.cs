using Microsoft.Extensions.Logging;
using MuraPipeline.Imaging;
using MuraPipeline.Model;

namespace MuraPipeline.Inference.Tests;

/// <summary>The default build carries ONNX Runtime's GPU package; on a machine without CUDA it must still score, on the CPU, and say why once.</summary>
public sealed class ExecutionProviderTests
{
    [Fact]
    public void Cuda_requested_where_it_cannot_load_warns_once_naming_the_missing_library_and_scores_the_same_on_the_cpu()
    {
        var log = new CapturingLogger();
        var images = Enumerable.Range(0, 4).Select(i => new GrayImage(320, 256, Enumerable.Range(0, 320 * 256).Select(p => (byte)((p * (i + 3)) % 251)).ToArray())).ToList();
        using var cpu = OnnxModel.Load(InferenceOptions.BundledModelPath, "cpu", log);
        using var first = OnnxModel.Load(InferenceOptions.BundledModelPath, "cuda", log);
        using var second = OnnxModel.Load(InferenceOptions.BundledModelPath, "cuda", log);

        Assert.Equal("cpu", first.ExecutionProvider);
        Assert.Equal("cpu", second.ExecutionProvider);
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Matches(@"^Execution provider cuda is not available: lib[A-Za-z0-9_.+-]+\.so[0-9.]* is missing", warning.Message);
        Assert.EndsWith("scoring on the CPU", warning.Message, StringComparison.Ordinal);

        var expected = cpu.Predict(images);
        var actual = first.Predict(images);
        Assert.Equal(expected.Select(p => p.Probability), actual.Select(p => p.Probability));
        Assert.Equal(expected.Select(p => p.BodyPart), actual.Select(p => p.BodyPart));
    }

    [Fact]
    public void An_onnx_runtime_load_error_is_reduced_to_the_library_that_is_missing()
    {
        const string Message = "[ErrorCode:RuntimeException] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1789 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory\n";
        Assert.StartsWith("libcublasLt.so.13 is missing: libcublasLt.so.13: cannot open shared object file", OnnxModel.ProviderFailure(Message), StringComparison.Ordinal);
        Assert.Equal("CUDA execution provider is not enabled in this build.", OnnxModel.ProviderFailure("CUDA execution provider is not enabled in this build.\nmore"));
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
