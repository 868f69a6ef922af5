namespace MuraPipeline.Ingest;

/// <summary>How much of ingest ran one file at a time: views written, the transactions they took, and the time the writer held them.</summary>
public sealed record WriterTally(long Views, long Commits, TimeSpan Held)
{
    /// <summary>The serialised share of a view: the writer's held time over the views it wrote.</summary>
    public double HeldMsPerView => Views == 0 ? 0 : Held.TotalMilliseconds / Views;
}
