using System.Text.Json.Serialization;

namespace MuraPipeline.Evaluation;

/// <summary>Counts at the operating point; "positive" is abnormal.</summary>
public sealed record Confusion(
    [property: JsonPropertyName("tp")] int TruePositive,
    [property: JsonPropertyName("fp")] int FalsePositive,
    [property: JsonPropertyName("tn")] int TrueNegative,
    [property: JsonPropertyName("fn")] int FalseNegative);
