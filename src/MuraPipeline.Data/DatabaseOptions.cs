using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Data;

/// <summary>The "Database" configuration section: the embedded file, and how a process meets its database at start.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>The embedded SQLite file, used when ConnectionStrings:Postgres is not set. Default: mura.db in the working folder (`screen`: in its --out folder).</summary>
    public string? SqliteFile { get; set; }

    /// <summary>Apply pending migrations at start. Default: true for the embedded SQLite file; false for PostgreSQL, which then refuses to start on an old schema (run `mura db migrate`).</summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>How long a serve process waits at start for a database that is not reachable yet (PostgreSQL starting or failing over), with a warning per try; 0 fails at once.</summary>
    [Range(0, 86_400)]
    public double StartWaitSeconds { get; set; } = 120;

    /// <summary>The section as configured; a value that is not of its setting's type is an error that names the setting.</summary>
    public static DatabaseOptions From(IConfiguration configuration) => SettingsSection.Bind<DatabaseOptions>(configuration, Section);
}
