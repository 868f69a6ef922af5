using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ReplicaConfiguration : IEntityTypeConfiguration<Replica>
{
    public void Configure(EntityTypeBuilder<Replica> b)
    {
        b.ToTable("replicas");
        b.HasKey(r => r.Id);
        b.Property(r => r.Id).HasMaxLength(128);
        b.Property(r => r.Roles).HasMaxLength(64);
        b.Property(r => r.ModelSha256).HasMaxLength(64);
        b.HasIndex(r => r.LastSeenAt);
    }
}
