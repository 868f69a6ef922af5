using MuraPipeline.Data;

namespace MuraPipeline.Cli.Commands;

/// <summary>
/// The database an admin command works on: --db (a SQLite file or a PostgreSQL connection string), else the configured
/// one. Its services come from the composition root, <see cref="ServiceHost.OpenAdminAsync"/>.
/// </summary>
internal static class AdminDatabase
{
    /// <summary>
    /// The database a --db value names: a PostgreSQL connection string (it contains '='), else a SQLite file; without
    /// a value, the configured one. With <paramref name="mustExist"/> a SQLite file that is not there is an error, so
    /// a typo never reads a new, empty database.
    /// </summary>
    public static DatabaseTarget Resolve(string? option, bool mustExist = false)
    {
        if (option is null)
        {
            return DatabaseTarget.From(ServiceHost.LoadConfiguration());
        }

        if (option.Contains('=', StringComparison.Ordinal))
        {
            return new DatabaseTarget(option, "mura.db");
        }

        var file = Path.GetFullPath(option);
        return !mustExist || File.Exists(file) ? new DatabaseTarget(null, file) : throw new FileNotFoundException($"database file {file} does not exist");
    }
}
