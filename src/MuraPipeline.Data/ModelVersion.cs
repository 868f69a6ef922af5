namespace MuraPipeline.Data;

/// <summary>A model file, identified by its SHA-256.</summary>
public sealed class ModelVersion
{
    public required string Sha256 { get; set; }

    public required string Name { get; set; }

    public required string Path { get; set; }

    public string? Metadata { get; set; }

    /// <summary>How the pipeline talks to the model: "mura" (our contract) or an adapter's name ("multitask").</summary>
    public string Contract { get; set; } = "mura";

    /// <summary>Per-body-part thresholds chosen by `mura calibrate`, as JSON ({"WRIST":0.42,…}); null when not calibrated.</summary>
    public string? Thresholds { get; set; }

    /// <summary>The one model inference follows (at most one row is active).</summary>
    public bool Active { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    public DateTimeOffset? ActivatedAt { get; set; }
}
