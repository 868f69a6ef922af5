using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.MigrationsTool;

// Usage (from the repository root; needs no database):
//   MuraPipeline.MigrationsTool sqlite|postgres NAME   adds a migration
//   MuraPipeline.MigrationsTool optimize               writes the embedded provider's compiled model (after any model change)
if (args is ["optimize"])
{
    foreach (var provider in CompiledModelWriter.Compiled)
    {
        var files = CompiledModelWriter.Write(provider, CompiledModelWriter.Folder(Directory.GetCurrentDirectory(), provider));
        Console.WriteLine($"{provider}: wrote {files.Count} files to {Path.GetDirectoryName(files[0])}");
    }

    return 0;
}

if (args.Length != 2 || !CompiledModelWriter.Providers.Contains(args[0]))
{
    Console.Error.WriteLine("usage: MuraPipeline.MigrationsTool sqlite|postgres MIGRATION_NAME | optimize");
    return 2;
}

return CompiledModelWriter.WithDesignServices(args[0], (services, _) =>
{
    var scaffolder = services.GetRequiredService<IMigrationsScaffolder>();
    var assembly = args[0] == "postgres" ? DatabaseSetup.PostgresMigrationsAssembly : DatabaseSetup.SqliteMigrationsAssembly;
    var migration = scaffolder.ScaffoldMigration(args[1], assembly, "Migrations", "C#");
    var project = Path.GetFullPath(Path.Combine("migrations", assembly));
    var files = scaffolder.Save(project, migration, Path.Combine(project, "Migrations"));
    Console.WriteLine($"wrote {files.MigrationFile}\nwrote {files.SnapshotFile}\nnow run it with `optimize` too");
    return 0;
});
