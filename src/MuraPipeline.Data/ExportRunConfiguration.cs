using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ExportRunConfiguration : IEntityTypeConfiguration<ExportRun>
{
    public void Configure(EntityTypeBuilder<ExportRun> b)
    {
        b.ToTable("export_runs");
        b.HasKey(r => r.Id);
        b.Property(r => r.Id).ValueGeneratedOnAdd();
        b.HasIndex(r => new { r.Status, r.Id });
        b.Property(r => r.Trigger).HasMaxLength(16);
        b.Property(r => r.Instance).HasMaxLength(256);
        b.Property(r => r.Folder).HasMaxLength(1024);
        b.Property(r => r.Error).HasMaxLength(4000);
        b.Property(r => r.TrainingStatus).HasMaxLength(16);
        b.Property(r => r.CandidateSha256).HasMaxLength(64);
        b.Property(r => r.TrainingDetail).HasMaxLength(4000);
    }
}
