using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

public static class DbCommand
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "Apply the schema's pending migrations to the configured database (ConnectionStrings__Postgres, else mura.db here).");
        migrate.SetAction(async (_, ct) =>
        {
            var target = DatabaseTarget.From(ServiceHost.LoadConfiguration());
            await using var services = await ServiceHost.OpenAdminAsync(target, ct, schema: false);
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
            try
            {
                var pending = await DatabaseSetup.PendingMigrationsAsync(db, ct);
                await DatabaseSetup.MigrateAsync(db, ct);
                AnsiConsole.MarkupLineInterpolated($"{target.Describe()}: {(pending.Count == 0 ? "already up to date" : "applied " + string.Join(", ", pending))}");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] cannot migrate {target.Describe()}: {ex.Message}");
                return ExitCodes.StartFailed;
            }
        });
        return new Command("db", "Database administration.") { migrate };
    }
}
