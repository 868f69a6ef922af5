using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ViewImageConfiguration : IEntityTypeConfiguration<ViewImage>
{
    public void Configure(EntityTypeBuilder<ViewImage> b)
    {
        b.ToTable("view_images");
        b.HasKey(i => i.ViewId);
        b.HasOne<View>().WithOne().HasForeignKey<ViewImage>(i => i.ViewId).OnDelete(DeleteBehavior.Cascade);
    }
}
