using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

/// <summary>
/// A pull job is Searching while its query's matches are written (no puller takes it then), Active until every one
/// of its studies has ended (Received, Failed or Incomplete), then Done.
/// </summary>
public enum PullJobState
{
    Active = 0,
    Done = 1,
    Searching = 2,
}

/// <summary>
/// One study of a pull job: Pending → Retrieving → Received | Failed(reason) | Incomplete (the PACS reported success
/// with fewer instances than its query said, on every attempt; the reason gives both numbers).
/// </summary>
public enum PullStudyState
{
    Pending = 0,
    Retrieving = 1,
    Received = 2,
    Failed = 3,
    Incomplete = 4,
}

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

public sealed class PullStudy
{
    public Guid Id { get; set; }

    public Guid JobId { get; set; }

    public PullJob? Job { get; set; }

    public required string StudyInstanceUid { get; set; }

    public string? StudyDate { get; set; }

    public string? Modalities { get; set; }

    public string? BodyPart { get; set; }

    /// <summary>Instances the PACS said the study has (C-FIND), when it said.</summary>
    public int? Instances { get; set; }

    public PullStudyState State { get; set; }

    public int Attempts { get; set; }

    /// <summary>Why the study failed, or why the last attempt did (an operator reads it).</summary>
    public string? Reason { get; set; }

    /// <summary>Instances that arrived (the PACS's completed sub-operations).</summary>
    public int Retrieved { get; set; }

    /// <summary>Instances left on the PACS because they are not CR, DX or SC images of the seven study types.</summary>
    public int Skipped { get; set; }

    /// <summary>Instances the PACS reported as failed sub-operations in the last attempt.</summary>
    public int FailedInstances { get; set; }

    /// <summary>The puller working on the study now; its claim ends at <see cref="LeaseUntil"/> unless renewed.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>A failed attempt waits until then before the next one.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

internal sealed class PullJobConfiguration : IEntityTypeConfiguration<PullJob>
{
    public void Configure(EntityTypeBuilder<PullJob> b)
    {
        b.ToTable("pull_jobs");
        b.HasKey(j => j.Id);
        b.Property(j => j.Node).HasMaxLength(64);
        b.Property(j => j.Retrieve).HasMaxLength(8);
        b.Property(j => j.Query).HasMaxLength(4096);
        b.Property(j => j.CreatedBy).HasMaxLength(128);
        b.Property(j => j.State).HasConversion<int>();
        b.HasIndex(j => new { j.State, j.CreatedAt });
        b.HasMany(j => j.Studies).WithOne(s => s.Job).HasForeignKey(s => s.JobId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PullStudyConfiguration : IEntityTypeConfiguration<PullStudy>
{
    public void Configure(EntityTypeBuilder<PullStudy> b)
    {
        b.ToTable("pull_studies");
        b.HasKey(s => s.Id);
        b.HasIndex(s => new { s.JobId, s.StudyInstanceUid }).IsUnique();

        // A claim and a job's progress read one job's studies by state, in date order: on this index, whatever the job's size.
        b.HasIndex(s => new { s.JobId, s.State, s.StudyDate, s.StudyInstanceUid });
        b.HasIndex(s => new { s.JobId, s.FinishedAt });
        b.HasIndex(s => new { s.State, s.NotBefore });
        b.HasIndex(s => s.StudyInstanceUid);
        b.Property(s => s.StudyInstanceUid).HasMaxLength(64);
        b.Property(s => s.StudyDate).HasMaxLength(8);
        b.Property(s => s.Modalities).HasMaxLength(64);
        b.Property(s => s.BodyPart).HasMaxLength(64);
        b.Property(s => s.Reason).HasMaxLength(1024);
        b.Property(s => s.LeaseOwner).HasMaxLength(128);
        b.Property(s => s.State).HasConversion<int>();
    }
}
