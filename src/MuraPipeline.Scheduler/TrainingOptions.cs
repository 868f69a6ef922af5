using System.ComponentModel.DataAnnotations;

namespace MuraPipeline.Scheduler;

/// <summary>The optional training hook run after an export, and the gate a candidate model must pass to be activated.</summary>
public sealed class TrainingOptions
{
    /// <summary>
    /// A shell command (run with /bin/sh -c) that writes a candidate ONNX model to {candidate}. Placeholders: {export}
    /// (this run's folder), {exports} (the export folder), {train} and {valid} (every successful export's split folders,
    /// oldest first, quoted), {candidate}. Empty: no training.
    /// </summary>
    public string? Command { get; set; }

    /// <summary>How much the candidate's kappa on the validation split must exceed the active model's to be activated.</summary>
    [Range(0.0, 1.0)]
    public double Margin { get; set; } = 0.02;

    /// <summary>The training command is stopped (and the run fails) after this long.</summary>
    [Range(1, 10_080)]
    public int TimeoutMinutes { get; set; } = 720;
}
