using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ResultDeliveryConfiguration : IEntityTypeConfiguration<ResultDelivery>
{
    public void Configure(EntityTypeBuilder<ResultDelivery> b)
    {
        b.ToTable("result_deliveries");
        b.HasKey(d => d.Id);
        b.HasIndex(d => new { d.ResultId, d.Destination }).IsUnique();
        b.HasIndex(d => new { d.State, d.NextAttemptAt });
        b.Property(d => d.Destination).HasMaxLength(64);
        b.Property(d => d.LastError).HasMaxLength(1024);
        b.Property(d => d.LeaseOwner).HasMaxLength(128);
        b.Property(d => d.State).HasConversion<int>();
    }
}
