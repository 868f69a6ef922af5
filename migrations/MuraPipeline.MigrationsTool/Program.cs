using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;

// Usage: MuraPipeline.MigrationsTool sqlite|postgres NAME   (run from the repository root; needs no database)
if (args.Length != 2 || args[0] is not ("sqlite" or "postgres"))
{
    Console.Error.WriteLine("usage: MuraPipeline.MigrationsTool sqlite|postgres MIGRATION_NAME");
    return 2;
}

var postgres = args[0] == "postgres";
var builder = new DbContextOptionsBuilder<MuraDbContext>();
if (postgres)
{
    builder.UsePostgres("Host=127.0.0.1;Database=mura_design");
}
else
{
    builder.UseEmbeddedSqlite(Path.Combine(Path.GetTempPath(), "mura-design.db"));
}

await using var context = new MuraDbContext(builder.Options);
var services = new ServiceCollection();
services.AddEntityFrameworkDesignTimeServices();
services.AddDbContextDesignTimeServices(context);
if (postgres)
{
    new NpgsqlDesignTimeServices().ConfigureDesignTimeServices(services);
}
else
{
    new SqliteDesignTimeServices().ConfigureDesignTimeServices(services);
}

await using var provider = services.BuildServiceProvider();
var scaffolder = provider.GetRequiredService<IMigrationsScaffolder>();
var assembly = postgres ? DatabaseSetup.PostgresMigrationsAssembly : DatabaseSetup.SqliteMigrationsAssembly;
var migration = scaffolder.ScaffoldMigration(args[1], assembly, "Migrations", "C#");
var project = Path.GetFullPath(Path.Combine("migrations", assembly));
var files = scaffolder.Save(project, migration, Path.Combine(project, "Migrations"));
Console.WriteLine($"wrote {files.MigrationFile}\nwrote {files.SnapshotFile}");
return 0;
