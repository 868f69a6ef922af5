namespace MuraPipeline.Data;

/// <summary>What one file's registration did; <see cref="Completed"/> when it ended the study's last view.</summary>
public sealed record Registration(RegistrationOutcome Outcome, Guid StudyId, Guid ViewId, CompletedStudy? Completed);
