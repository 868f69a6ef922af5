using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace MuraPipeline.Data;

internal sealed class StudyConfiguration : IEntityTypeConfiguration<Study>
{
    public void Configure(EntityTypeBuilder<Study> b)
    {
        b.ToTable("studies");
        b.HasKey(s => s.Id);
        b.HasIndex(s => s.StudyInstanceUid).IsUnique();
        b.HasIndex(s => new { s.State, s.LastInstanceAt });
        b.HasIndex(s => new { s.State, s.ScoredAt }); // retention: studies that ended before a cutoff
        b.Property(s => s.BodyPartSource).HasMaxLength(16);
        b.Property(s => s.OutOfScopeReason).HasMaxLength(512);
        b.HasIndex(s => new { s.State, s.Score, s.StudyInstanceUid }); // the worklist: keyset pages by score, then UID
        b.Property(s => s.LeaseOwner).HasMaxLength(128);
        b.Property(s => s.StudyInstanceUid).HasMaxLength(64);
        b.Property(s => s.PatientId).HasMaxLength(64);
        b.Property(s => s.BodyPart).HasMaxLength(16);
        b.Property(s => s.Source).HasMaxLength(16);
        b.Property(s => s.ModelSha256).HasMaxLength(64);
        b.HasMany(s => s.Views).WithOne(v => v.Study).HasForeignKey(v => v.StudyId).OnDelete(DeleteBehavior.Cascade);
    }
}
