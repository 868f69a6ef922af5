using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

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
