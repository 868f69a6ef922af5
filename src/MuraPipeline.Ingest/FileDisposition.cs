namespace MuraPipeline.Ingest;

/// <summary>What happens to a file once its rows are committed.</summary>
public enum FileDisposition
{
    /// <summary>The watched folder: the file moves to the archive (or, when it cannot be ingested, to the failed folder with a reason).</summary>
    Archive,

    /// <summary>`mura screen`: the user's files stay where they are, untouched; the database and the reports say what became of them.</summary>
    LeaveInPlace,
}
