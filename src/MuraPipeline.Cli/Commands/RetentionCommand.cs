using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using MuraPipeline.Scheduler;
using MuraPipeline.ServiceDefaults;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura retention run [--dry-run]</c>: the retention the scheduler role runs nightly, by hand.</summary>
public static class RetentionCommand
{
    public static Command Create()
    {
        var cmd = new Command("retention", "Delete what the Retention:* settings allow and no later stage needs (originals, derivatives and heatmaps, result object bytes, failed files).");
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would go, per kind (count and bytes), and change nothing." };
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var db = new Option<string?>("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };
        var run = new Command("run", "Apply the retention settings now, exactly as the scheduler does (audited; --dry-run changes nothing).") { dryRun, json, db };
        run.SetAction(async (parse, ct) =>
        {
            await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(parse.GetValue(db)), ct, (s, configuration) => s
                .AddLogging(b => b.AddMuraConsole(timestamps: false).SetMinimumLevel(LogLevel.Warning))
                .AddRetention(configuration));
            var report = await services.GetRequiredService<Retention>().RunAsync(parse.GetValue(dryRun), AuditActor.CommandLine, ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    dryRun = report.DryRun,
                    kinds = report.Kinds.Select(k => new { kind = k.Kind, after = k.After?.ToString("c", CultureInfo.InvariantCulture), count = k.Count, bytes = k.Bytes }),
                }, new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumn("kind").AddColumn("kept for").AddColumn(new TableColumn(report.DryRun ? "would go" : "removed").RightAligned()).AddColumn(new TableColumn("bytes").RightAligned());
            foreach (var k in report.Kinds)
            {
                table.AddRow(k.Kind, k.After is { } a ? a.ToString("c", CultureInfo.InvariantCulture) : "forever (not set)", k.Count.ToString(CultureInfo.InvariantCulture), k.Bytes.ToString("N0", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            Console.WriteLine(report.DryRun ? "dry run: nothing was changed" : "done (audited)");
            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(run);
        return cmd;
    }
}
