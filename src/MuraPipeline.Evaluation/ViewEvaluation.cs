using System.Text.Json.Serialization;

namespace MuraPipeline.Evaluation;

/// <summary>View-level figures: body-part accuracy against the study labels, and the pointing game against lesion boxes.</summary>
public sealed record ViewEvaluation(
    [property: JsonPropertyName("views")] int Views,
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("accuracy")] double? Accuracy);
