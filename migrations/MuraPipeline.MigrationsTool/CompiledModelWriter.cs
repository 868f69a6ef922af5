using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Scaffolding;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;

namespace MuraPipeline.MigrationsTool;

/// <summary>
/// The design-time services of one provider for <see cref="MuraDbContext"/> (its model built from OnModelCreating, never
/// the compiled one), and what they write: a migration, or the compiled model that the running product loads instead of
/// building the model at every start.
/// </summary>
public static class CompiledModelWriter
{
    /// <summary>The providers, as the tool's first argument names them.</summary>
    public static readonly string[] Providers = ["sqlite", "postgres"];

    /// <summary>Runs <paramref name="use"/> with the design-time services and context of <paramref name="provider"/>.</summary>
    public static T WithDesignServices<T>(string provider, Func<IServiceProvider, MuraDbContext, T> use)
    {
        var postgres = provider == "postgres";
        var builder = new DbContextOptionsBuilder<MuraDbContext>();
        if (postgres)
        {
            builder.UsePostgres("Host=127.0.0.1;Database=mura_design");
        }
        else
        {
            builder.UseEmbeddedSqlite(Path.Combine(Path.GetTempPath(), "mura-design.db"), compiledModel: false);
        }

        using var context = new MuraDbContext(builder.Options);
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

        using var provided = services.BuildServiceProvider();
        return use(provided, context);
    }

    /// <summary>Writes the compiled model of <paramref name="provider"/> into <paramref name="dir"/> (emptied first); returns the files written.</summary>
    public static IReadOnlyList<string> Write(string provider, string dir) => WithDesignServices(provider, (services, context) =>
    {
        if (Directory.Exists(dir))
        {
            foreach (var old in Directory.GetFiles(dir, "*.cs"))
            {
                File.Delete(old);
            }
        }

        Directory.CreateDirectory(dir);
        var model = context.GetService<IDesignTimeModel>().Model;
        var files = services.GetRequiredService<ICompiledModelScaffolder>().ScaffoldModel(model, dir, new CompiledModelCodeGenerationOptions
        {
            ContextType = typeof(MuraDbContext),
            ModelNamespace = Namespace(provider),
            Language = "C#",
            UseNullableReferenceTypes = true,
        });

        // Not the assembly attribute that would have EF pick a model by itself: two providers' models share the
        // assembly, and DatabaseSetup names the one its provider needs.
        foreach (var attributes in files.Where(f => f.EndsWith("AssemblyAttributes.cs", StringComparison.Ordinal)))
        {
            File.Delete(attributes);
        }

        return files.Where(File.Exists).ToList();
    });

    /// <summary>The providers with a compiled model: the embedded one, which starts for every `mura screen`.</summary>
    public static readonly string[] Compiled = ["sqlite"];

    /// <summary>Where the compiled model of <paramref name="provider"/> lives, below the repository root.</summary>
    public static string Folder(string root, string provider) => Path.Combine(root, "src", "MuraPipeline.Data", "CompiledModels", provider == "postgres" ? "Postgres" : "Sqlite");

    private static string Namespace(string provider) => "MuraPipeline.Data.CompiledModels." + (provider == "postgres" ? "Postgres" : "Sqlite");
}
