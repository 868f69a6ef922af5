using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;
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
        var file = new Argument<FileInfo>("file") { Description = "A CSV with a header (study_uid, label as 1/0, abnormal/normal or positive/negative; optional body_part, reader, read_at as ISO 8601), or MURA's own *_labeled_studies.csv / *_image_paths.csv." };
        var reader = new Option<string>("--reader") { Description = "Reader id for rows without a reader column.", DefaultValueFactory = _ => "import" };
        var db = new Option<string?>("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };
        var cmd = new Command("import", "Record the verdicts of a CSV file (as `mura phantoms` writes labels.csv). Re-importing a file with read_at records nothing twice.") { file, reader, db };
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!.FullName;
            var verdicts = Read(path, parse.GetValue(reader)!);
            await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(parse.GetValue(db)), ct);
            await using var scope = services.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<GroundTruthStore>().AddAsync(verdicts, "import:" + Path.GetFileName(path), ct);
            Console.WriteLine($"{result.Recorded} verdicts recorded, {result.Duplicates} already recorded, from {path}");
            if (result.UnknownStudies > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]{result.UnknownStudies} studies are not in the database yet: their verdicts are kept and exported once their images arrive[/]");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Every row of a labels file as a verdict, or none: the one labels reader refuses a bad row naming its line.</summary>
    public static List<VerdictInput> Read(string path, string defaultReader) =>
        Labels.Read(path).Rows.Select(r => new VerdictInput(r.StudyInstanceUid, r.Label == 1, r.BodyPart, r.Reader ?? defaultReader, r.ReadAt)).ToList();
}
