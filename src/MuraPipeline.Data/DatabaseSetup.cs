using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MuraPipeline.Data;

/// <summary>Connection set-up for the embedded SQLite mode.</summary>
public static class DatabaseSetup
{
    public const string SqliteMigrationsAssembly = "MuraPipeline.Migrations.Sqlite";

    /// <summary>A SQLite connection string for a database file: WAL journal for a reader beside the writer, a busy timeout instead of failing.</summary>
    public static string SqliteConnectionString(string file) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(file),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        DefaultTimeout = 60,
        Pooling = true,
    }.ToString();

    public static DbContextOptionsBuilder UseEmbeddedSqlite(this DbContextOptionsBuilder options, string file) =>
        options.UseSqlite(SqliteConnectionString(file), o => o.MigrationsAssembly(SqliteMigrationsAssembly));

    /// <summary>Applies pending migrations and switches the file to WAL mode.</summary>
    public static async Task MigrateAsync(MuraDbContext db, CancellationToken ct)
    {
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }
}

public static class DataRegistration
{
    /// <summary>The embedded database: a SQLite file, a context per scope, and the store.</summary>
    public static IServiceCollection AddMuraSqlite(this IServiceCollection services, string file)
    {
        services.AddDbContext<MuraDbContext>(o => o.UseEmbeddedSqlite(file));
        services.AddScoped<StudyStore>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
