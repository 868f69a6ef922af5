using Microsoft.Extensions.Configuration;
using MuraPipeline.ServiceDefaults;
using Npgsql;

namespace MuraPipeline.Data;

/// <summary>Which database a process uses: PostgreSQL when ConnectionStrings:Postgres is set, else an embedded SQLite file.</summary>
public sealed record DatabaseTarget(string? PostgresConnectionString, string SqliteFile)
{
    public bool IsPostgres => !string.IsNullOrWhiteSpace(PostgresConnectionString);

    /// <summary>Where to point an operator: the server and database, never the password.</summary>
    public string Describe()
    {
        if (!IsPostgres)
        {
            return $"SQLite {SqliteFile}";
        }

        var b = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        return $"PostgreSQL {b.Host}:{b.Port}/{b.Database}";
    }

    /// <summary>ConnectionStrings:Postgres, else Database:SqliteFile (default mura.db in the working folder).</summary>
    public static DatabaseTarget From(IConfiguration configuration, string? defaultSqliteFile = null) => new(
        ConnectionStringsOptions.From(configuration).Postgres,
        Path.GetFullPath(DatabaseOptions.From(configuration).SqliteFile ?? defaultSqliteFile ?? "mura.db"));
}
