using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;

// Usage: MuraPipeline.MigrationsTool sqlite NAME   (run from the repository root)
if (args.Length != 2 || args[0] != "sqlite")
{
    Console.Error.WriteLine("usage: MuraPipeline.MigrationsTool sqlite MIGRATION_NAME");
    return 2;
}

var builder = new DbContextOptionsBuilder<MuraDbContext>();
builder.UseEmbeddedSqlite(Path.Combine(Path.GetTempPath(), "mura-design.db"));
await using var context = new MuraDbContext(builder.Options);
var services = new ServiceCollection();
services.AddEntityFrameworkDesignTimeServices();
services.AddDbContextDesignTimeServices(context);
new SqliteDesignTimeServices().ConfigureDesignTimeServices(services);
await using var provider = services.BuildServiceProvider();
var scaffolder = provider.GetRequiredService<IMigrationsScaffolder>();
var migration = scaffolder.ScaffoldMigration(args[1], DatabaseSetup.SqliteMigrationsAssembly, "Migrations", "C#");
var project = Path.GetFullPath(Path.Combine("migrations", DatabaseSetup.SqliteMigrationsAssembly));
var files = scaffolder.Save(project, migration, Path.Combine(project, "Migrations"));
Console.WriteLine($"wrote {files.MigrationFile}\nwrote {files.SnapshotFile}");
return 0;
