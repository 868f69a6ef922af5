namespace MuraPipeline.Model;

/// <summary>One view's model output.</summary>
public sealed record ViewPrediction(double Probability, string? BodyPart, float[]? Cam, int CamWidth, int CamHeight);
