namespace MuraPipeline.Evaluation;

/// <summary>One study's prediction: its score and the abnormal/normal call made at the operating point.</summary>
public sealed record StudyPrediction(string StudyInstanceUid, string BodyPart, double Score, int Abnormal, string? ModelSha256 = null);
