namespace MuraPipeline.Ingest;

/// <summary>What became of one file.</summary>
public enum FileOutcome
{
    Registered,
    Duplicate,
    Failed,
}
