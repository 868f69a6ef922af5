using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ScoreConfiguration : IEntityTypeConfiguration<Score>
{
    public void Configure(EntityTypeBuilder<Score> b)
    {
        b.ToTable("scores");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.ViewId, x.ModelSha256 }).IsUnique();
        b.HasIndex(x => x.BatchId);
        b.Property(x => x.ModelSha256).HasMaxLength(64);
        b.Property(x => x.PredictedBodyPart).HasMaxLength(16);
        b.HasOne<View>().WithMany().HasForeignKey(x => x.ViewId).OnDelete(DeleteBehavior.Cascade);
    }
}
