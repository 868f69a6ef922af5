using System.Text.Json.Serialization;

namespace MuraPipeline.Evaluation;

/// <summary>Agreement of one group of studies with the labels, as the MURA paper's table reports it.</summary>
public sealed record GroupEvaluation(
    [property: JsonPropertyName("studies")] int Studies,
    [property: JsonPropertyName("kappa")] double? Kappa,
    [property: JsonPropertyName("kappa_ci")] double[]? KappaCi,
    [property: JsonPropertyName("auc")] double? Auc,
    [property: JsonPropertyName("auc_ci")] double[]? AucCi,
    [property: JsonPropertyName("sensitivity")] double? Sensitivity,
    [property: JsonPropertyName("specificity")] double? Specificity,
    [property: JsonPropertyName("confusion")] Confusion Confusion);
