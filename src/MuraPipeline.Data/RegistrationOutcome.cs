namespace MuraPipeline.Data;

public enum RegistrationOutcome
{
    /// <summary>The view is registered with this file's derivative (new, or a failed or underived view revived).</summary>
    Registered,

    /// <summary>The instance already has its derivative from an earlier copy: the first copy is kept.</summary>
    Duplicate,

    /// <summary>The file's view failed with the reason (or, when another copy derived it, was left alone).</summary>
    Failed,
}
