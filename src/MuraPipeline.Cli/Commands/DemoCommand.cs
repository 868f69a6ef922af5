using System.CommandLine;
using System.Globalization;
using MuraPipeline.Hosting.Embedded;
using MuraPipeline.Evaluation;
using MuraPipeline.Phantoms;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

public static class DemoCommand
{
    /// <summary>The demo's phantoms use a seed the bundled model never saw (it was trained on seeds 101 and 202).</summary>
    public const ulong DefaultSeed = 2026;

    public static Command Create()
    {
        var studies = new Option<int>("--studies") { Description = "Phantom studies to generate and screen.", DefaultValueFactory = _ => 60 };
        var seed = new Option<ulong>("--seed") { Description = "Phantom seed.", DefaultValueFactory = _ => DefaultSeed };
        var keep = new Option<DirectoryInfo?>("--out") { Description = "Keep the phantoms and reports in this folder (default: a temporary folder, removed afterwards)." };
        var model = new Option<FileInfo?>("--model") { Description = "ONNX model. Default: the bundled demo model." };
        var cmd = new Command("demo", "Generate phantom studies, screen them, and print AUC, Cohen's kappa, body-part accuracy and the heatmap pointing game against their labels.") { studies, seed, keep, model };
        cmd.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(studies);
            var keepDir = parse.GetValue(keep)?.FullName;
            var root = keepDir ?? Path.Combine(Path.GetTempPath(), "mura-demo-" + Guid.NewGuid().ToString("N")[..8]);
            var phantoms = Path.Combine(root, "phantoms");
            var output = Path.Combine(root, "screen");
            try
            {
                AnsiConsole.MarkupLineInterpolated($"Generating {n} phantom studies (seed {parse.GetValue(seed)}) in {phantoms}");
                AnsiConsole.Progress().AutoClear(true).Start(ctx =>
                {
                    var task = ctx.AddTask("phantoms", maxValue: n);
                    PhantomWriter.WriteAll(new PhantomGenerator(parse.GetValue(seed)), n, phantoms, PhantomFormat.Dicom, done => task.Value = done);
                });
                var settings = new ScreenSettings([phantoms], output, Path.Combine(output, "mura.db"), parse.GetValue(model)?.FullName);
                var (code, result) = await ScreenCommand.RunAsync(settings, ct);
                if (result is null)
                {
                    return code;
                }

                var labelsPath = Path.Combine(phantoms, "labels.csv");
                var set = Labels.Read(labelsPath);
                PrintAgreement(result, set.ByStudy, set.Boxes);
                return code;
            }
            finally
            {
                if (keepDir is null && Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
        });
        return cmd;
    }

    public static (double Auc, double Kappa, int Studies) Agreement(ScreenResult result, IReadOnlyDictionary<string, StudyLabel> labels)
    {
        var scored = result.Studies.Where(s => s.Score is not null && labels.ContainsKey(s.StudyInstanceUid)).ToList();
        var y = scored.Select(s => labels[s.StudyInstanceUid].Label).ToList();
        var auc = Metrics.Auc(y, scored.Select(s => s.Score!.Value).ToList());
        var kappa = Metrics.CohenKappa(y, scored.Select(s => s.Abnormal == true ? 1 : 0).ToList());
        return (auc, kappa, scored.Count);
    }

    private static void PrintAgreement(ScreenResult result, IReadOnlyDictionary<string, StudyLabel> labels, IReadOnlyList<LabelBox> boxes)
    {
        var (auc, kappa, count) = Agreement(result, labels);
        var views = result.Views.Where(v => v.State == Data.ViewState.Scored).Select(v => new ViewPoint(v.StudyInstanceUid, v.SopInstanceUid, v.File, v.PredictedBodyPart, v.PeakX, v.PeakY)).ToList();
        var pointing = Evaluator.PointingGame(views, boxes);
        var bodyPart = Evaluator.BodyPartAccuracy(views, labels);
        var table = new Table().Title("Agreement with labels.csv (study level)").AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("studies", count.ToString(CultureInfo.InvariantCulture));
        table.AddRow("AUC", auc.ToString("0.000", CultureInfo.InvariantCulture));
        table.AddRow("Cohen's kappa (at the operating point)", kappa.ToString("0.000", CultureInfo.InvariantCulture));
        if (bodyPart is { Accuracy: { } b })
        {
            table.AddRow("body-part accuracy (views)", string.Create(CultureInfo.InvariantCulture, $"{b:0.000} ({bodyPart.Correct}/{bodyPart.Views})"));
        }

        if (pointing is { Accuracy: { } p })
        {
            table.AddRow("pointing game (abnormal views)", string.Create(CultureInfo.InvariantCulture, $"{p:0.000} ({pointing.Correct}/{pointing.Views})"));
        }

        AnsiConsole.Write(table);
    }
}
