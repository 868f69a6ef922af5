using System.Globalization;
using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Cli.Reporting;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura labels import FILE</c>: readers' verdicts (ground truth) into the database, every one kept for audit.</summary>
public static class LabelsCommand
{
    public static Command Create()
    {
        var cmd = new Command("labels", "Ground truth: readers' verdicts on studies (the latest per study wins; all are kept for audit).");
        cmd.Subcommands.Add(Import());
        return cmd;
    }

    private static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV with a header: study_uid and label (1/0, abnormal/normal, positive/negative); optional body_part, reader and read_at (ISO 8601)." };
        var reader = new Option<string>("--reader") { Description = "Reader id for rows without a reader column.", DefaultValueFactory = _ => "import" };
        var db = new Option<string?>("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };
        var cmd = new Command("import", "Record the verdicts of a CSV file (as `mura phantoms` writes labels.csv). Re-importing a file with read_at records nothing twice.") { file, reader, db };
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!.FullName;
            try
            {
                var verdicts = Read(path, parse.GetValue(reader)!);
                await using var services = await AdminDatabase.OpenAsync(AdminDatabase.Resolve(parse.GetValue(db)), ct);
                await using var scope = services.CreateAsyncScope();
                var result = await scope.ServiceProvider.GetRequiredService<GroundTruthStore>().AddAsync(verdicts, "import:" + Path.GetFileName(path), ct);
                Console.WriteLine($"{result.Recorded} verdicts recorded, {result.Duplicates} already recorded, from {path}");
                if (result.UnknownStudies > 0)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]{result.UnknownStudies} studies are not in the database yet: their verdicts are kept and exported once their images arrive[/]");
                }

                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException or Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return ExitCodes.StartFailed;
            }
        });
        return cmd;
    }

    /// <summary>Reads every row or none: a bad row is an error naming its line, so a half-read file is never recorded.</summary>
    public static List<VerdictInput> Read(string path, string defaultReader)
    {
        var verdicts = new List<VerdictInput>();
        var line = 1;
        foreach (var row in Csv.ReadRows(path, "study_uid", "label"))
        {
            line++;
            var uid = row("study_uid").Trim();
            if (uid.Length is 0 or > 64)
            {
                throw new InvalidDataException($"{path} line {line}: study_uid is empty or longer than 64 characters");
            }

            var abnormal = ParseLabel(row("label")) ?? throw new InvalidDataException($"{path} line {line}: label '{row("label")}' is not 1/0, abnormal/normal or positive/negative");
            var part = row("body_part").Trim();
            var bodyPart = part.Length == 0 ? null : StudyTypes.Normalise(part) ?? throw new InvalidDataException($"{path} line {line}: body_part '{part}' is not one of {string.Join(", ", StudyTypes.All)}");
            var readAt = row("read_at").Trim();
            DateTimeOffset? at = readAt.Length == 0 ? null
                : DateTimeOffset.TryParse(readAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime()
                : throw new InvalidDataException($"{path} line {line}: read_at '{readAt}' is not an ISO 8601 time");
            var who = row("reader").Trim();
            verdicts.Add(new VerdictInput(uid, abnormal, bodyPart, who.Length == 0 ? defaultReader : who, at));
        }

        return verdicts;
    }

    public static bool? ParseLabel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "1" or "abnormal" or "positive" or "true" => true,
        "0" or "normal" or "negative" or "false" => false,
        _ => null,
    };
}
