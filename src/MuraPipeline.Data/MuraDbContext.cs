using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
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
