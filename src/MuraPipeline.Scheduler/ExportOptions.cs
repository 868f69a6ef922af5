using System.ComponentModel.DataAnnotations;

namespace MuraPipeline.Scheduler;

/// <summary>The "Export" configuration section: where exports go, how patients are pseudonymised and split, and the training hook.</summary>
public sealed class ExportOptions
{
    public const string Section = "Export";

    /// <summary>The folder exports are written to (each run renames its finished folder into it); may be a mounted volume.</summary>
    public string Folder { get; set; } = "mura-exports";

    /// <summary>The secret key of the patient pseudonyms (HMAC-SHA256); at least 16 characters. Keep it: a new key gives every patient a new pseudonym.</summary>
    public string? PseudonymKey { get; set; }

    /// <summary>The share of patients (by keyed hash) in the validation split.</summary>
    [Range(1, 50)]
    public int ValidPercent { get; set; } = 10;

    public TrainingOptions Training { get; set; } = new();

    /// <summary>The key, or the error that tells the operator how to set it.</summary>
    public string RequireKey() =>
        PseudonymKey is { Length: >= 16 } key
            ? key
            : throw new InvalidOperationException("the export needs a pseudonym key of at least 16 characters: set Export__PseudonymKey (keep it secret and keep it stable: it decides every patient's pseudonym)");
}

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

/// <summary>The "Scheduler" configuration section: when the export runs.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "Scheduler";

    /// <summary>A Quartz cron expression (seconds first); default every night at 02:00.</summary>
    public string Cron { get; set; } = "0 0 2 * * ?";

    /// <summary>The time zone the cron expression is read in (an IANA id such as Europe/Berlin); default the machine's.</summary>
    public string? TimeZone { get; set; }

    public TimeZoneInfo ResolveTimeZone() => string.IsNullOrWhiteSpace(TimeZone) ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}
