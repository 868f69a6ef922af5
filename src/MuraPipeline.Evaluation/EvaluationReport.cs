using System.Text.Json.Serialization;

namespace MuraPipeline.Evaluation;

/// <summary>The whole evaluation, written as evaluation.json.</summary>
public sealed record EvaluationReport(
    [property: JsonPropertyName("overall")] GroupEvaluation Overall,
    [property: JsonPropertyName("by_study_type")] SortedDictionary<string, GroupEvaluation> ByStudyType,
    [property: JsonPropertyName("body_part")] ViewEvaluation? BodyPart,
    [property: JsonPropertyName("pointing_game")] double? PointingGame,
    [property: JsonPropertyName("pointing_game_detail")] ViewEvaluation? PointingGameDetail,
    [property: JsonPropertyName("unlabelled_studies")] int Unlabelled,
    [property: JsonPropertyName("unscored_studies")] int Unscored,
    [property: JsonPropertyName("bootstrap")] BootstrapSettings Bootstrap);
