using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ModelFileConfiguration : IEntityTypeConfiguration<ModelFile>
{
    public void Configure(EntityTypeBuilder<ModelFile> b)
    {
        b.ToTable("model_files");
        b.HasKey(m => m.Sha256);
        b.Property(m => m.Sha256).HasMaxLength(64);
        b.HasOne<ModelVersion>().WithOne().HasForeignKey<ModelFile>(m => m.Sha256).OnDelete(DeleteBehavior.Cascade);
    }
}
