using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace MuraPipeline.Data;

public sealed class MuraDbContext(DbContextOptions<MuraDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Study> Studies => Set<Study>();

    public DbSet<View> Views => Set<View>();

    public DbSet<Score> Scores => Set<Score>();

    public DbSet<ViewImage> ViewImages => Set<ViewImage>();

    public DbSet<Heatmap> Heatmaps => Set<Heatmap>();

    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();

    public DbSet<ModelFile> ModelFiles => Set<ModelFile>();

    public DbSet<Verdict> Verdicts => Set<Verdict>();

    public DbSet<ExportRun> ExportRuns => Set<ExportRun>();

    public DbSet<ExportedStudy> ExportedStudies => Set<ExportedStudy>();

    public DbSet<ConsoleUser> ConsoleUsers => Set<ConsoleUser>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<ConsoleSession> ConsoleSessions => Set<ConsoleSession>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<Replica> Replicas => Set<Replica>();

    public DbSet<PullJob> PullJobs => Set<PullJob>();

    public DbSet<PullStudy> PullStudies => Set<PullStudy>();

    public DbSet<StoredResult> StoredResults => Set<StoredResult>();

    public DbSet<ResultDelivery> ResultDeliveries => Set<ResultDelivery>();

    /// <summary>ASP.NET Core Data Protection's keys (they sign the console's cookies and antiforgery tokens), shared by every api replica.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(MuraDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Timestamps as UTC ticks: ordered and comparable on SQLite as on PostgreSQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<StudyState>().HaveConversion<int>();
        configurationBuilder.Properties<ViewState>().HaveConversion<int>();
        configurationBuilder.Properties<ExportRunStatus>().HaveConversion<int>();
        configurationBuilder.Properties<AccessRole>().HaveConversion<int>();
    }
}

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

internal sealed class ViewConfiguration : IEntityTypeConfiguration<View>
{
    public void Configure(EntityTypeBuilder<View> b)
    {
        b.ToTable("views");
        b.HasKey(v => v.Id);
        b.HasIndex(v => v.SopInstanceUid).IsUnique();
        b.HasIndex(v => new { v.StudyId, v.State });
        b.HasIndex(v => new { v.State, v.QueuedAt });
        b.HasIndex(v => new { v.State, v.ScoredAt }); // the scoring rate and the overview's chart
        b.HasIndex(v => v.RetryRequestedAt); // ingest's pass for files an operator asked to read again
        b.Property(v => v.SopInstanceUid).HasMaxLength(64);
        b.Property(v => v.SourcePath).HasMaxLength(1024);
        b.Property(v => v.ViewPosition).HasMaxLength(16);
        b.Property(v => v.PredictedBodyPart).HasMaxLength(16);
        b.Property(v => v.ModelSha256).HasMaxLength(64);
        b.Property(v => v.Error).HasMaxLength(2000);
    }
}

internal sealed class ScoreConfiguration : IEntityTypeConfiguration<Score>
{
    public void Configure(EntityTypeBuilder<Score> b)
    {
        b.ToTable("scores");
        b.HasKey(x => x.Id);
        b.HasIndex(x => new { x.ViewId, x.ModelSha256 }).IsUnique();
        b.HasIndex(x => x.BatchId);
        b.Property(x => x.ModelSha256).HasMaxLength(64);
        b.Property(x => x.PredictedBodyPart).HasMaxLength(16);
        b.HasOne<View>().WithMany().HasForeignKey(x => x.ViewId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ViewImageConfiguration : IEntityTypeConfiguration<ViewImage>
{
    public void Configure(EntityTypeBuilder<ViewImage> b)
    {
        b.ToTable("view_images");
        b.HasKey(i => i.ViewId);
        b.HasOne<View>().WithOne().HasForeignKey<ViewImage>(i => i.ViewId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class HeatmapConfiguration : IEntityTypeConfiguration<Heatmap>
{
    public void Configure(EntityTypeBuilder<Heatmap> b)
    {
        b.ToTable("heatmaps");
        b.HasKey(h => h.ViewId);
        b.Property(h => h.ModelSha256).HasMaxLength(64);
        b.HasOne<View>().WithOne().HasForeignKey<Heatmap>(h => h.ViewId).OnDelete(DeleteBehavior.Cascade);
    }
}

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

internal sealed class ModelFileConfiguration : IEntityTypeConfiguration<ModelFile>
{
    public void Configure(EntityTypeBuilder<ModelFile> b)
    {
        b.ToTable("model_files");
        b.HasKey(m => m.Sha256);
        b.Property(m => m.Sha256).HasMaxLength(64);
        b.HasOne<ModelVersion>().WithOne().HasForeignKey<ModelFile>(m => m.Sha256).OnDelete(DeleteBehavior.Cascade);
    }
}

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

internal sealed class ExportRunConfiguration : IEntityTypeConfiguration<ExportRun>
{
    public void Configure(EntityTypeBuilder<ExportRun> b)
    {
        b.ToTable("export_runs");
        b.HasKey(r => r.Id);
        b.Property(r => r.Id).ValueGeneratedOnAdd();
        b.HasIndex(r => new { r.Status, r.Id });
        b.Property(r => r.Trigger).HasMaxLength(16);
        b.Property(r => r.Instance).HasMaxLength(256);
        b.Property(r => r.Folder).HasMaxLength(1024);
        b.Property(r => r.Error).HasMaxLength(4000);
        b.Property(r => r.TrainingStatus).HasMaxLength(16);
        b.Property(r => r.CandidateSha256).HasMaxLength(64);
        b.Property(r => r.TrainingDetail).HasMaxLength(4000);
    }
}

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
