using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ViewConfiguration : IEntityTypeConfiguration<View>
{
    public void Configure(EntityTypeBuilder<View> b)
    {
        b.ToTable("views");
        b.HasKey(v => v.Id);
        b.HasIndex(v => v.SopInstanceUid).IsUnique();
        b.HasIndex(v => new { v.StudyId, v.State });
        b.HasIndex(v => new { v.State, v.QueuedAt });
        b.HasIndex(v => new { v.State, v.ScoredAt }); // the scoring rate and the overview's chart
        b.HasIndex(v => v.RetryRequestedAt); // ingest's pass for files an operator asked to read again
        b.Property(v => v.SopInstanceUid).HasMaxLength(64);
        b.Property(v => v.SourcePath).HasMaxLength(1024);
        b.Property(v => v.ViewPosition).HasMaxLength(16);
        b.Property(v => v.PredictedBodyPart).HasMaxLength(16);
        b.Property(v => v.ModelSha256).HasMaxLength(64);
        b.Property(v => v.Error).HasMaxLength(2000);
    }
}
