using System.ComponentModel.DataAnnotations;

namespace MuraPipeline.Inference;

/// <summary>The "Inference" configuration section.</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>The ONNX model; the bundled demo model when empty.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Most views in one ONNX Runtime call.</summary>
    [Range(1, 1024)]
    public int BatchSize { get; set; } = 16;

    /// <summary>How long a partial batch waits for more views before it runs anyway.</summary>
    [Range(1, 60_000)]
    public int BatchTimeLimitMs { get; set; } = 200;

    /// <summary>Batches scored at once by one worker.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 1;

    /// <summary>cpu, cuda or tensorrt; an unavailable provider falls back to CPU with a warning.</summary>
    [RegularExpression("^(?i)(cpu|cuda|tensorrt)$")]
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>How often an unpinned worker looks for a newly activated model.</summary>
    [Range(100, 600_000)]
    public int ModelPollMs { get; set; } = 2000;

    /// <summary>Where the bundled demo model is when <see cref="ModelPath"/> is empty.</summary>
    public static string BundledModelPath => Path.Combine(AppContext.BaseDirectory, "models", "mura-demo.onnx");

    public string ResolvedModelPath => string.IsNullOrWhiteSpace(ModelPath) ? BundledModelPath : Path.GetFullPath(ModelPath);
}
