using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class ExportedStudyConfiguration : IEntityTypeConfiguration<ExportedStudy>
{
    public void Configure(EntityTypeBuilder<ExportedStudy> b)
    {
        b.ToTable("exported_studies");
        b.HasKey(e => e.StudyInstanceUid);
        b.Property(e => e.StudyInstanceUid).HasMaxLength(64);
        b.Property(e => e.Patient).HasMaxLength(32);
        b.Property(e => e.Split).HasMaxLength(8);
        b.Property(e => e.BodyPart).HasMaxLength(16);
        b.HasIndex(e => new { e.Patient, e.StudyNumber }).IsUnique();
        b.HasIndex(e => e.Split);
    }
}
