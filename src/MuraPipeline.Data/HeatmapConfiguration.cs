using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class HeatmapConfiguration : IEntityTypeConfiguration<Heatmap>
{
    public void Configure(EntityTypeBuilder<Heatmap> b)
    {
        b.ToTable("heatmaps");
        b.HasKey(h => h.ViewId);
        b.Property(h => h.ModelSha256).HasMaxLength(64);
        b.HasOne<View>().WithOne().HasForeignKey<Heatmap>(h => h.ViewId).OnDelete(DeleteBehavior.Cascade);
    }
}
