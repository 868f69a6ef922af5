using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("audit_events");
        b.HasKey(e => e.Id);
        b.Property(e => e.Id).ValueGeneratedOnAdd();
        b.HasIndex(e => new { e.Action, e.At });
        b.HasIndex(e => new { e.Actor, e.Id });
        b.Property(e => e.Actor).HasMaxLength(AuditLog.ActorLength);
        b.Property(e => e.Address).HasMaxLength(64);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Target).HasMaxLength(256);
        b.Property(e => e.Detail).HasMaxLength(AuditLog.DetailLength);
    }
}
