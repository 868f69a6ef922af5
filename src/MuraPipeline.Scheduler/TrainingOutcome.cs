namespace MuraPipeline.Scheduler;

/// <summary>The training hook's outcome: "activated", "rejected" or "failed", and why.</summary>
public sealed record TrainingOutcome(string Status, string Detail, string? CandidateSha256, double? CandidateKappa, double? ActiveKappa);
