using System.Text.Json.Serialization;

namespace MuraPipeline.Evaluation;

public sealed record BootstrapSettings(
    [property: JsonPropertyName("resamples")] int Resamples,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("confidence")] double Confidence);
