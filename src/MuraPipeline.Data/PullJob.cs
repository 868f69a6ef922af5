namespace MuraPipeline.Data;

/// <summary>A query/retrieve pull from a configured PACS node: what was asked for, and how gently to ask.</summary>
public sealed class PullJob
{
    public Guid Id { get; set; }

    /// <summary>The node's name under Pacs:Nodes.</summary>
    public required string Node { get; set; }

    /// <summary>"move" or "get".</summary>
    public required string Retrieve { get; set; }

    /// <summary>The filters (or study list) that chose the studies, as the operator gave them.</summary>
    public required string Query { get; set; }

    public PullJobState State { get; set; }

    /// <summary>Studies retrieved at once, at most.</summary>
    public int MaxConcurrent { get; set; } = 1;

    /// <summary>Studies started per minute, at most; 0 for no limit.</summary>
    public double StudiesPerMinute { get; set; }

    /// <summary>Who recorded the job (a console user, "cli").</summary>
    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The C-FIND queries the search took (more than one where the PACS capped its answers and ranges were split).</summary>
    public int SearchQueries { get; set; }

    public List<PullStudy> Studies { get; set; } = [];
}
