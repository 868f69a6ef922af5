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
