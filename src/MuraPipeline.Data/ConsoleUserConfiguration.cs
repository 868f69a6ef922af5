using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ConsoleUserConfiguration : IEntityTypeConfiguration<ConsoleUser>
{
    public void Configure(EntityTypeBuilder<ConsoleUser> b)
    {
        b.ToTable("console_users");
        b.HasKey(u => u.Id);
        b.HasIndex(u => u.Name).IsUnique();
        b.Property(u => u.Name).HasMaxLength(64);
        b.Property(u => u.PasswordHash).HasMaxLength(256);
        b.Property(u => u.SecurityStamp).HasMaxLength(64);
    }
}
