using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using MuraPipeline.Scheduler;
using MuraPipeline.ServiceDefaults;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura export --now</c>: one retraining export by hand, exactly as the scheduler runs it.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var now = new Option<bool>("--now") { Description = "Run one export now (the scheduler role runs it on its cron trigger).", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "The export folder (default Export:Folder, ./mura-exports)." };
        var noTrain = new Option<bool>("--no-train") { Description = "Skip the training hook (Export:Training:Command) even when one is configured." };
        var db = new Option<string?>("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };
        var cmd = new Command("export", "Export the studies whose ground truth changed since the last successful export: de-identified, MURA layout, with manifest.json. Needs Export__PseudonymKey.") { now, output, noTrain, db };
        cmd.SetAction(async (parse, ct) =>
        {
            var target = AdminDatabase.Resolve(parse.GetValue(db), mustExist: false);
            await using var services = await ServiceHost.OpenAdminAsync(target, ct, (s, configuration) => s
                .AddLogging(b => b.AddMuraConsole(timestamps: false).SetMinimumLevel(LogLevel.Warning))
                .AddExport(configuration));
            var result = await services.GetRequiredService<Exporter>().RunAsync("manual", parse.GetValue(output)?.FullName, !parse.GetValue(noTrain), ct);
            switch (result.Status)
            {
                case ExportRunStatus.Succeeded:
                    Console.WriteLine($"export run {result.RunId}: {result.Studies} studies, {result.Images} images, {result.Skipped} skipped -> {result.Folder}");
                    if (result.TrainingStatus is not null)
                    {
                        Console.WriteLine($"training: {result.TrainingStatus} ({result.TrainingDetail})");
                    }

                    return ExitCodes.Ok;
                case ExportRunStatus.Skipped:
                    AnsiConsole.MarkupLineInterpolated($"[yellow]export run {result.RunId} skipped: another export is running[/]");
                    return ExitCodes.Ok;
                default:
                    AnsiConsole.MarkupLineInterpolated($"[red]error:[/] export run {result.RunId} failed, nothing was written: {result.Error}");
                    return ExitCodes.StartFailed;
            }
        });
        return cmd;
    }
}
