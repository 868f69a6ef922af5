using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

/// <summary>One DICOM object made from a scored study (its SR, or a view's heatmap Secondary Capture), kept whole so every destination gets the same bytes.</summary>
public sealed class StoredResult
{
    public Guid Id { get; set; }

    public Guid StudyId { get; set; }

    public required string StudyInstanceUid { get; set; }

    /// <summary>The model version whose scores it reports: a re-score by another model makes new objects.</summary>
    public required string ModelSha256 { get; set; }

    /// <summary>"sr" or "sc".</summary>
    public required string Kind { get; set; }

    public required string SopClassUid { get; set; }

    public required string SopInstanceUid { get; set; }

    public required string SeriesInstanceUid { get; set; }

    /// <summary>For a Secondary Capture, the view it shows.</summary>
    public string? ViewSopInstanceUid { get; set; }

    /// <summary>The Part-10 file; empty once retention removed it (<see cref="ContentRemovedAt"/>).</summary>
    public required byte[] Content { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When retention removed <see cref="Content"/>, every destination having acknowledged it; the row and its UIDs stay.</summary>
    public DateTimeOffset? ContentRemovedAt { get; set; }

    public List<ResultDelivery> Deliveries { get; set; } = [];
}

/// <summary>A result object's delivery to one destination: Pending until the destination answers success to its C-STORE.</summary>
public enum DeliveryState
{
    Pending = 0,
    Sent = 1,
    Failed = 2,
}

public sealed class ResultDelivery
{
    public Guid Id { get; set; }

    public Guid ResultId { get; set; }

    public StoredResult? Result { get; set; }

    /// <summary>The destination's name under Results:Destinations.</summary>
    public required string Destination { get; set; }

    public DeliveryState State { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Why the last attempt failed, for an operator.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The sender working on it now; another may take it once the lease lapses.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }
}

internal sealed class StoredResultConfiguration : IEntityTypeConfiguration<StoredResult>
{
    public void Configure(EntityTypeBuilder<StoredResult> b)
    {
        b.ToTable("result_objects");
        b.HasKey(r => r.Id);
        b.HasIndex(r => r.SopInstanceUid).IsUnique();
        b.HasIndex(r => new { r.StudyId, r.ModelSha256 });
        b.HasIndex(r => r.StudyInstanceUid);
        b.Property(r => r.StudyInstanceUid).HasMaxLength(64);
        b.Property(r => r.ModelSha256).HasMaxLength(64);
        b.Property(r => r.Kind).HasMaxLength(8);
        b.Property(r => r.SopClassUid).HasMaxLength(64);
        b.Property(r => r.SopInstanceUid).HasMaxLength(64);
        b.Property(r => r.SeriesInstanceUid).HasMaxLength(64);
        b.Property(r => r.ViewSopInstanceUid).HasMaxLength(64);
        b.HasMany(r => r.Deliveries).WithOne(d => d.Result).HasForeignKey(d => d.ResultId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ResultDeliveryConfiguration : IEntityTypeConfiguration<ResultDelivery>
{
    public void Configure(EntityTypeBuilder<ResultDelivery> b)
    {
        b.ToTable("result_deliveries");
        b.HasKey(d => d.Id);
        b.HasIndex(d => new { d.ResultId, d.Destination }).IsUnique();
        b.HasIndex(d => new { d.State, d.NextAttemptAt });
        b.Property(d => d.Destination).HasMaxLength(64);
        b.Property(d => d.LastError).HasMaxLength(1024);
        b.Property(d => d.LeaseOwner).HasMaxLength(128);
        b.Property(d => d.State).HasConversion<int>();
    }
}
