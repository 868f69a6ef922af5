using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

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
