namespace MuraPipeline.Pacs;

/// <summary>What one run of a job did.</summary>
public sealed record PullRunSummary(int Received, int AlreadyHere, int Failed, int Retried);
