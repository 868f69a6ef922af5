using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Evaluation;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura evaluate</c>: the MURA paper's table (kappa per study type with 95% CIs) and more, from a screen run.</summary>
public static class EvaluateCommand
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var labels = new Option<FileInfo>("--labels") { Description = "labels.csv (study_uid, label as 1/0, positive/negative or abnormal/normal; optional body_part, boxes 'VIEW x0 y0 x1 y1;…'), or MURA's own valid_labeled_studies.csv / valid_image_paths.csv as shipped.", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "A `mura screen` output folder: its studies.csv and views.csv are evaluated and evaluation.json is written there." };
        var database = new Option<string?>("--db") { Description = "Evaluate every scored study in a database instead: a SQLite file or a PostgreSQL connection string (evaluation.json goes to --out, else here)." };
        var resamples = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the confidence intervals.", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap.", DefaultValueFactory = _ => 2026 };
        var cmd = new Command("evaluate", "Study-level agreement with labels: Cohen's kappa per study type and overall with 95% bootstrap CIs, AUC, sensitivity, specificity, confusion matrix; body-part accuracy and the heatmap pointing game; writes evaluation.json.") { labels, output, database, resamples, seed };
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(output) is null && parse.GetValue(database) is null)
            {
                AnsiConsole.MarkupLine("[red]error:[/] give --out DIR (a screen run's CSVs) or --db (a database)");
                return ExitCodes.StartFailed;
            }

            var input = await ReadInputAsync(parse.GetValue(output)?.FullName, parse.GetValue(database), ct);
            var labelsPath = parse.GetValue(labels)!.FullName;
            var set = Labels.Read(labelsPath);
            var report = Evaluator.Evaluate(input.Studies, set.ByStudy, input.Views, set.Boxes, Math.Max(100, parse.GetValue(resamples)), parse.GetValue(seed));
            var dir = parse.GetValue(output)?.FullName ?? Directory.GetCurrentDirectory();
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "evaluation.json"), JsonSerializer.Serialize(report, Json));
            Print(report);
            AnsiConsole.MarkupLineInterpolated($"written: {Path.Combine(dir, "evaluation.json")}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A screen run's CSVs, or with --db every scored study of that database.</summary>
    public static async Task<EvaluationInput> ReadInputAsync(string? dir, string? database, CancellationToken ct)
    {
        if (database is null)
        {
            return EvaluationInput.FromCsv(dir!);
        }

        await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(database, mustExist: true), ct);
        await using var scope = services.CreateAsyncScope();
        return await EvaluationInput.FromDatabaseAsync(scope.ServiceProvider.GetRequiredService<Data.MuraDbContext>(), scope.ServiceProvider.GetRequiredService<ThresholdPolicy>(), ct);
    }

    private static void Print(EvaluationReport r)
    {
        var table = new Table().AddColumn("study type").AddColumn(new TableColumn("studies").RightAligned()).AddColumn(new TableColumn("kappa (95% CI)").RightAligned())
            .AddColumn(new TableColumn("AUC").RightAligned()).AddColumn(new TableColumn("sensitivity").RightAligned()).AddColumn(new TableColumn("specificity").RightAligned());
        foreach (var (name, g) in r.ByStudyType.Select(kv => (kv.Key, kv.Value)).Append(("overall", r.Overall)))
        {
            table.AddRow(name, g.Studies.ToString(CultureInfo.InvariantCulture), g.Kappa is { } k ? string.Create(CultureInfo.InvariantCulture, $"{k:0.000} ({(g.KappaCi is { } ci ? $"{ci[0]:0.00}–{ci[1]:0.00}" : "–")})") : "–", F(g.Auc), F(g.Sensitivity), F(g.Specificity));
        }

        AnsiConsole.Write(table);
        var c = r.Overall.Confusion;
        AnsiConsole.MarkupLineInterpolated($"confusion (overall): TP {c.TruePositive}  FP {c.FalsePositive}  TN {c.TrueNegative}  FN {c.FalseNegative}; {r.Unlabelled} scored studies without a label, {r.Unscored} labelled studies not scored");
        if (r.BodyPart is { } b)
        {
            AnsiConsole.MarkupLineInterpolated($"body-part accuracy: {F(b.Accuracy)} ({b.Correct} of {b.Views} views)");
        }

        if (r.PointingGameDetail is { } p)
        {
            AnsiConsole.MarkupLineInterpolated($"pointing game: {F(p.Accuracy)} (heatmap peak on the lesion box in {p.Correct} of {p.Views} boxed views)");
        }
    }

    private static string F(double? v) => v is { } d ? d.ToString("0.000", CultureInfo.InvariantCulture) : "–";
}
