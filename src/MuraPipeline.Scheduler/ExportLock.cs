using MuraPipeline.Data;
using Npgsql;

namespace MuraPipeline.Scheduler;

/// <summary>
/// One export at a time per database, whoever starts it (a scheduler replica or `mura export --now`): a session advisory
/// lock on PostgreSQL, an exclusive lock file beside the SQLite file. Both end with the process, so a crash never
/// leaves the export locked.
/// </summary>
public sealed class ExportLock : IAsyncDisposable
{
    private const long Key = 0x4D555241455850; // "MURAEXP"
    private readonly NpgsqlConnection? _connection;
    private readonly FileStream? _file;

    private ExportLock(NpgsqlConnection? connection, FileStream? file)
    {
        _connection = connection;
        _file = file;
    }

    /// <summary>The lock, or null when another export holds it.</summary>
    public static async Task<ExportLock?> TryAcquireAsync(DatabaseTarget target, CancellationToken ct)
    {
        if (!target.IsPostgres)
        {
            try
            {
                return new ExportLock(null, new FileStream(target.SqliteFile + ".export-lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                return null;
            }
        }

        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target.PostgresConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand($"SELECT pg_try_advisory_lock({Key})", connection);
            if (await cmd.ExecuteScalarAsync(ct) is true)
            {
                return new ExportLock(connection, null);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_file is not null)
        {
            await _file.DisposeAsync();
        }
    }
}
