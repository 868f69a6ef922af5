
namespace MuraPipeline.Evaluation;

/// <summary>One body part's operating point chosen on a validation set; <see cref="Threshold"/> is null when none could be chosen (see <see cref="Note"/>).</summary>
public sealed record PartThreshold(string BodyPart, int Studies, double? Threshold, double? KappaBefore, double? KappaAfter, double? Sensitivity, double? Specificity, string? Note);
