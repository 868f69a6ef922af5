using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ModelVersionConfiguration : IEntityTypeConfiguration<ModelVersion>
{
    public void Configure(EntityTypeBuilder<ModelVersion> b)
    {
        b.ToTable("model_versions");
        b.HasKey(m => m.Sha256);
        b.Property(m => m.Sha256).HasMaxLength(64);
        b.Property(m => m.Name).HasMaxLength(256);
        b.Property(m => m.Path).HasMaxLength(1024);
        b.Property(m => m.Contract).HasMaxLength(32);
        b.HasIndex(m => m.Active);
    }
}
