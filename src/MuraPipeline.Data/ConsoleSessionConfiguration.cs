using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ConsoleSessionConfiguration : IEntityTypeConfiguration<ConsoleSession>
{
    public void Configure(EntityTypeBuilder<ConsoleSession> b)
    {
        b.ToTable("console_sessions");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.UserName, x.EndedAt });
        b.HasIndex(x => x.ExpiresAt);
        b.Property(x => x.Id).HasMaxLength(64);
        b.Property(x => x.UserName).HasMaxLength(64);
        b.Property(x => x.Address).HasMaxLength(64);
        b.Property(x => x.EndReason).HasMaxLength(64);
    }
}
