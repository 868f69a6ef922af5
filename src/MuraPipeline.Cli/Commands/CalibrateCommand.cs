using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura calibrate</c>: per-body-part operating points on a validation set, stored with the model version that scored it.</summary>
public static class CalibrateCommand
{
    private static readonly JsonSerializerOptions SnakeCase = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var labels = new Option<FileInfo>("--labels") { Description = "labels.csv of the validation studies (study_uid, body_part, label).", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "A `mura screen` output folder of the validation studies (its studies.csv; thresholds go into its mura.db)." };
        var database = new Option<string?>("--db") { Description = "Read the scored studies from, and store the thresholds in, this database instead (SQLite file or PostgreSQL connection string)." };
        var sensitivity = new Option<double?>("--target-sensitivity") { Description = "Choose the most specific threshold that reaches this sensitivity (0-1) instead of the one that maximises kappa." };
        var model = new Option<string?>("--model") { Description = "The model version to calibrate (SHA-256 or prefix) when the studies were scored by more than one." };
        var cmd = new Command("calibrate", "Choose per-body-part thresholds on a validation set (maximise Cohen's kappa, or reach a target sensitivity) and store them with the model version; scoring uses them from then on.") { labels, output, database, sensitivity, model };
        cmd.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(output)?.FullName;
            var dbOption = parse.GetValue(database);
            if (dir is null && dbOption is null)
            {
                AnsiConsole.MarkupLine("[red]error:[/] give --out DIR (a screen run of the validation set) or --db (a database)");
                return ExitCodes.StartFailed;
            }

            if (parse.GetValue(sensitivity) is { } s && s is <= 0 or > 1)
            {
                AnsiConsole.MarkupLine("[red]error:[/] --target-sensitivity must lie in (0, 1]");
                return ExitCodes.StartFailed;
            }

            var input = await EvaluateCommand.ReadInputAsync(dir, dbOption, ct);
            var label = Labels.Read(parse.GetValue(labels)!.FullName).ByStudy;
            var target = AdminDatabase.Resolve(dbOption ?? Path.Combine(dir!, "mura.db"), mustExist: true);
            var sha = ModelOf(input.Studies.Where(p => label.ContainsKey(p.StudyInstanceUid)).ToList(), parse.GetValue(model));
            var chosen = Calibration.Choose(input.Studies.Where(p => p.ModelSha256 == sha).ToList(), label, parse.GetValue(sensitivity));
            var thresholds = chosen.Where(c => c.Threshold is not null).ToDictionary(c => c.BodyPart, c => c.Threshold!.Value);
            await using (var services = await ServiceHost.OpenAdminAsync(target, ct))
            await using (var scope = services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<ThresholdPolicy>().CalibrateAsync(sha, thresholds, ct);
            }

            Print(chosen, sha, target);
            if (dir is not null)
            {
                File.WriteAllText(Path.Combine(dir, "thresholds.json"), JsonSerializer.Serialize(new { model_sha256 = sha, target_sensitivity = parse.GetValue(sensitivity), thresholds = new SortedDictionary<string, double>(thresholds, StringComparer.Ordinal), by_study_type = chosen }, SnakeCase));
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The one model that scored the labelled studies, or the one --model names among several.</summary>
    private static string ModelOf(List<StudyPrediction> studies, string? choice)
    {
        var models = studies.Select(p => p.ModelSha256).Distinct().ToList();
        if (models.Contains(null))
        {
            throw new InvalidDataException("some labelled studies do not name the model that scored them (a studies.csv without model_sha256?)");
        }

        if (choice is not null)
        {
            var key = choice.Trim().ToLowerInvariant();
            var match = models.Where(m => m!.StartsWith(key, StringComparison.Ordinal)).ToList();
            return match.Count == 1 ? match[0]! : throw new InvalidDataException($"--model {choice} matches {match.Count} of the models that scored these studies ({string.Join(", ", models.Select(m => m![..12]))})");
        }

        return models.Count switch
        {
            0 => throw new InvalidDataException("no scored study has a label: do the labels belong to these studies?"),
            1 => models[0]!,
            _ => throw new InvalidDataException($"the labelled studies were scored by {models.Count} models ({string.Join(", ", models.Select(m => m![..12]))}): pick one with --model"),
        };
    }

    private static void Print(IReadOnlyList<PartThreshold> chosen, string sha, DatabaseTarget target)
    {
        static string F(double? v) => v is { } d ? d.ToString("0.000", CultureInfo.InvariantCulture) : "–";
        var table = new Table().AddColumn("study type").AddColumn(new TableColumn("studies").RightAligned()).AddColumn(new TableColumn("threshold").RightAligned())
            .AddColumn(new TableColumn("kappa before").RightAligned()).AddColumn(new TableColumn("kappa after").RightAligned()).AddColumn(new TableColumn("sensitivity").RightAligned()).AddColumn(new TableColumn("specificity").RightAligned());
        foreach (var c in chosen)
        {
            table.AddRow(c.BodyPart, c.Studies.ToString(CultureInfo.InvariantCulture), c.Threshold is null ? Markup.Escape($"0.5 ({c.Note})") : F(c.Threshold), F(c.KappaBefore), F(c.KappaAfter), F(c.Sensitivity), F(c.Specificity));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"stored with model {sha} in {target.Describe()}; studies scored from now on use them");
    }
}
