using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace MuraPipeline.Data;

/// <summary>Connection set-up for both providers; one model, one set of queries.</summary>
public static class DatabaseSetup
{
    public const string SqliteMigrationsAssembly = "MuraPipeline.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "MuraPipeline.Migrations.Postgres";

    /// <summary>A SQLite connection string for a database file: WAL journal for a reader beside the writer, a busy timeout instead of failing.</summary>
    public static string SqliteConnectionString(string file) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(file),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        DefaultTimeout = 60,
        Pooling = true,
    }.ToString();

    /// <summary>
    /// The embedded SQLite file, made 0600 before SQLite first opens it (its journal files take the same mode). With
    /// <paramref name="compiledModel"/> the model is the one compiled into this assembly (CompiledModels/, written by
    /// migrations/MuraPipeline.MigrationsTool's `optimize`), not built from OnModelCreating at each start. Only the
    /// embedded mode has one: it starts for every `mura screen`, while PostgreSQL's processes start once and run on.
    /// </summary>
    public static DbContextOptionsBuilder UseEmbeddedSqlite(this DbContextOptionsBuilder options, string file, bool compiledModel = true)
    {
        PrivateFiles.Touch(file);
        options.UseSqlite(SqliteConnectionString(file), o => o.MigrationsAssembly(SqliteMigrationsAssembly)).AddInterceptors(SqliteBusyTimeout.Instance);
        return compiledModel ? options.UseModel(CompiledModels.Sqlite.MuraDbContextModel.Instance) : options;
    }

    /// <summary>
    /// The operator's connection string with No Reset On Close on, unless it says otherwise. The pipeline keeps no session
    /// state on a pooled connection (no temporary tables, session settings or session locks: the export lock has an
    /// unpooled connection of its own), so the DISCARD ALL that Npgsql sends each time a connection goes back to the
    /// pool was a round trip for nothing: two and a half a view in the distributed bench.
    /// </summary>
    public static string PostgresConnectionString(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.ContainsKey("No Reset On Close") || given.ContainsKey("NoResetOnClose")
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;
    }

    /// <summary>
    /// PostgreSQL with EF Core's retrying execution strategy: a dropped connection or a restart is retried with backoff
    /// for about a minute (every store operation runs inside the strategy, so a retry repeats the whole transaction).
    /// </summary>
    public static DbContextOptionsBuilder UsePostgres(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(PostgresConnectionString(connectionString), o => o
            .MigrationsAssembly(PostgresMigrationsAssembly)
            .EnableRetryOnFailure(maxRetryCount: 12, maxRetryDelay: TimeSpan.FromSeconds(8), errorCodesToAdd: null));

    /// <summary>
    /// The target's provider. A failed command is logged at Debug, not Error: the store expects some (two replicas or
    /// two ingest workers creating the same study meet on the unique index and converge), and every other failure
    /// reaches the caller as an exception that is reported where it is handled. Migrating does not compare the model with
    /// the migrations' snapshot (PendingModelChangesWarning): that built the model twice more at every start, 0.2 s of
    /// the embedded screen's start; DatabaseSetupTests makes the comparison instead.
    /// </summary>
    public static DbContextOptionsBuilder UseTarget(this DbContextOptionsBuilder options, DatabaseTarget target) =>
        (target.IsPostgres ? options.UsePostgres(target.PostgresConnectionString!) : options.UseEmbeddedSqlite(target.SqliteFile))
            .ConfigureWarnings(w => w.Log(
                (Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.CommandError, Microsoft.Extensions.Logging.LogLevel.Debug),
                (Microsoft.EntityFrameworkCore.Diagnostics.CoreEventId.SaveChangesFailed, Microsoft.Extensions.Logging.LogLevel.Debug))
                .Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning));

    /// <summary>
    /// A context of its own over <paramref name="target"/>, for a reader that runs after its host has stopped (screen's
    /// report, the bench's phases). Everything else takes its context from a role's services.
    /// </summary>
    public static MuraDbContext OpenContext(DatabaseTarget target)
    {
        var options = new DbContextOptionsBuilder<MuraDbContext>();
        options.UseTarget(target);
        return new MuraDbContext(options.Options);
    }

    /// <summary>
    /// The page size of a new SQLite file. Each view's derivative (a PNG of about 100 KB) is stored in the row of its
    /// registration; at SQLite's default 4 KB a derivative is a chain of some 25 overflow pages, and writing those chains
    /// was three quarters of the time ingest's one writer held the database a view (0.8-0.9 ms at 250 files a commit).
    /// At 64 KB it holds it 0.5 ms a view and screen runs no slower. A file made before keeps its page size.
    /// </summary>
    public const int SqlitePageSize = 65536;

    private static readonly string SqlitePageSizePragma = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PRAGMA page_size = {SqlitePageSize};");

    /// <summary>Applies pending migrations (and makes a new SQLite file with <see cref="SqlitePageSize"/> pages in WAL mode).</summary>
    public static async Task MigrateAsync(MuraDbContext db, CancellationToken ct)
    {
        if (db.Database.IsSqlite())
        {
            // A page size is taken only before the file's first table is written.
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync(SqlitePageSizePragma, ct);
        }

        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The migrations not yet applied, oldest first.</summary>
    public static async Task<IReadOnlyList<string>> PendingMigrationsAsync(MuraDbContext db, CancellationToken ct) =>
        (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
}
