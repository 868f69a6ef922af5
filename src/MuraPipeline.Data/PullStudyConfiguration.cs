using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class PullStudyConfiguration : IEntityTypeConfiguration<PullStudy>
{
    public void Configure(EntityTypeBuilder<PullStudy> b)
    {
        b.ToTable("pull_studies");
        b.HasKey(s => s.Id);
        b.HasIndex(s => new { s.JobId, s.StudyInstanceUid }).IsUnique();

        // A claim and a job's progress read one job's studies by state, in date order: on this index, whatever the job's size.
        b.HasIndex(s => new { s.JobId, s.State, s.StudyDate, s.StudyInstanceUid });
        b.HasIndex(s => new { s.JobId, s.FinishedAt });
        b.HasIndex(s => new { s.State, s.NotBefore });
        b.HasIndex(s => s.StudyInstanceUid);
        b.Property(s => s.StudyInstanceUid).HasMaxLength(64);
        b.Property(s => s.StudyDate).HasMaxLength(8);
        b.Property(s => s.Modalities).HasMaxLength(64);
        b.Property(s => s.BodyPart).HasMaxLength(64);
        b.Property(s => s.Reason).HasMaxLength(1024);
        b.Property(s => s.LeaseOwner).HasMaxLength(128);
        b.Property(s => s.State).HasConversion<int>();
    }
}
