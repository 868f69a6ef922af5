using Microsoft.EntityFrameworkCore;
using MuraPipeline.MigrationsTool;
using Npgsql;

namespace MuraPipeline.Data.Tests;

public sealed class DatabaseSetupTests
{
    [Fact]
    public void A_postgres_connection_string_gets_no_reset_on_close_and_keeps_everything_else()
    {
        var b = new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString("Host=db.example;Port=5433;Database=mura;Username=u;Password=p;Maximum Pool Size=7"));
        Assert.True(b.NoResetOnClose);
        Assert.Equal(("db.example", 5433, "mura", "u", "p", 7), (b.Host, b.Port, b.Database, b.Username, b.Password, b.MaxPoolSize));
    }

    [Theory]
    [InlineData("Host=h;No Reset On Close=false")]
    [InlineData("Host=h;noresetonclose=False")]
    public void An_operator_who_sets_no_reset_on_close_keeps_it(string connectionString)
    {
        Assert.Equal(connectionString, DatabaseSetup.PostgresConnectionString(connectionString));
        Assert.False(new NpgsqlConnectionStringBuilder(DatabaseSetup.PostgresConnectionString(connectionString)).NoResetOnClose);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public void The_model_has_no_change_that_its_migrations_lack(string provider)
    {
        // The running product does not check this at every start (it built the model twice to do so): this test does.
        var options = new DbContextOptionsBuilder<MuraDbContext>();
        if (provider == "postgres")
        {
            options.UsePostgres("Host=127.0.0.1;Database=mura_design");
        }
        else
        {
            options.UseEmbeddedSqlite(Path.Combine(Path.GetTempPath(), $"mura-model-{Guid.NewGuid():N}.db"), compiledModel: false);
        }

        using var db = new MuraDbContext(options.Options);
        Assert.False(db.Database.HasPendingModelChanges(), $"the model has changed since the last {provider} migration: add one (migrations/MuraPipeline.MigrationsTool)");
    }

    [Theory]
    [InlineData("sqlite")]
    public void The_compiled_model_is_the_one_the_tool_writes_from_the_model_today(string provider)
    {
        var written = Path.Combine(Path.GetTempPath(), $"mura-compiled-{Guid.NewGuid():N}");
        try
        {
            var files = CompiledModelWriter.Write(provider, written);
            var checkedIn = CompiledModelWriter.Folder(MuraPipeline.Tests.Peers.RepositoryRoot(), provider);
            Assert.Equal(
                Directory.GetFiles(checkedIn, "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal),
                files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (var f in files)
            {
                Assert.True(
                    WithoutModelId(File.ReadAllText(f)) == WithoutModelId(File.ReadAllText(Path.Combine(checkedIn, Path.GetFileName(f)))),
                    $"{Path.GetFileName(f)} differs from what the model makes now: run `dotnet run --project migrations/MuraPipeline.MigrationsTool -- optimize`");
            }
        }
        finally
        {
            Directory.Delete(written, recursive: true);
        }
    }

    /// <summary>The text less the model's id, a new random one each time the tool writes it.</summary>
    private static string WithoutModelId(string code) => System.Text.RegularExpressions.Regex.Replace(code, @"modelId: new Guid\(""[0-9a-f-]+""\)", "modelId: _");
}
