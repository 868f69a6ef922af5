using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class VerdictConfiguration : IEntityTypeConfiguration<Verdict>
{
    public void Configure(EntityTypeBuilder<Verdict> b)
    {
        b.ToTable("verdicts");
        b.HasKey(v => v.Id);
        b.Property(v => v.Id).ValueGeneratedOnAdd();
        b.HasIndex(v => new { v.StudyInstanceUid, v.Id });
        b.Property(v => v.StudyInstanceUid).HasMaxLength(64);
        b.Property(v => v.BodyPart).HasMaxLength(16);
        b.Property(v => v.ReaderId).HasMaxLength(128);
        b.Property(v => v.Source).HasMaxLength(256);
    }
}
