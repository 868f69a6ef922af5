using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MuraPipeline.Cli.Evaluation;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura evaluate</c>: the MURA paper's table (kappa per study type with 95% CIs) and more, from a screen run.</summary>
public static class EvaluateCommand
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var labels = new Option<FileInfo>("--labels") { Description = "labels.csv: study_uid, body_part, label (1 abnormal, 0 normal).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "A `mura screen` output folder: its studies.csv is evaluated and evaluation.json written beside it.", Required = true };
        var resamples = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the confidence intervals.", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap.", DefaultValueFactory = _ => 2026 };
        var cmd = new Command("evaluate", "Study-level agreement with labels: Cohen's kappa per study type and overall with 95% bootstrap CIs, AUC, sensitivity, specificity, confusion matrix; writes evaluation.json.") { labels, output, resamples, seed };
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!.FullName;
            try
            {
                var predictions = Evaluator.ReadStudiesCsv(Path.Combine(dir, "studies.csv"));
                var report = Evaluator.Evaluate(predictions, Labels.Read(parse.GetValue(labels)!.FullName), Math.Max(100, parse.GetValue(resamples)), parse.GetValue(seed));
                File.WriteAllText(Path.Combine(dir, "evaluation.json"), JsonSerializer.Serialize(report, Json));
                Print(report);
                AnsiConsole.MarkupLineInterpolated($"written: {Path.Combine(dir, "evaluation.json")}");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return ExitCodes.StartFailed;
            }
        });
        return cmd;
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
    }

    private static string F(double? v) => v is { } d ? d.ToString("0.000", CultureInfo.InvariantCulture) : "–";
}
