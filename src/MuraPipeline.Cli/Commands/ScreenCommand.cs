using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MuraPipeline.Dicom;
using MuraPipeline.Hosting.Embedded;
using MuraPipeline.Model;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

public static class ScreenCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "DICOM files, folders of them, or MURA-layout PNG trees.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for studies.csv, views.csv and report.html.", Required = true };
        var db = new Option<FileInfo?>("--db") { Description = "The embedded state (SQLite). Default: mura.db in the --out folder." };
        var model = new Option<FileInfo?>("--model") { Description = "ONNX model. Default: the bundled demo model." };
        var batch = new Option<int?>("--batch-size") { Description = "Views per inference batch (Inference:BatchSize, default 16)." };
        var verbose = new Option<bool>("--verbose") { Description = "Log warnings (every failed input) to standard error." };
        var cmd = new Command("screen", "Screen studies on this machine: ingest, score every view, write the worklist.") { paths, output, db, model, batch, verbose };
        cmd.SetAction(async (parse, ct) =>
        {
            var outDir = parse.GetValue(output)!.FullName;
            var settings = new ScreenSettings(
                parse.GetValue(paths)!,
                outDir,
                parse.GetValue(db)?.FullName ?? Path.Combine(outDir, "mura.db"),
                parse.GetValue(model)?.FullName,
                parse.GetValue(batch),
                parse.GetValue(verbose) ? LogLevel.Warning : LogLevel.Error);
            var (code, _) = await RunAsync(settings, ct);
            return code;
        });
        return cmd;
    }

    /// <summary>Runs a screen with a progress bar and a summary; the exit code says whether some input failed.</summary>
    public static async Task<(int Code, ScreenResult? Result)> RunAsync(ScreenSettings settings, CancellationToken ct)
    {
        ScreenResult result;
        try
        {
            result = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("scoring views");
                    return await ScreenRunner.RunAsync(settings, (done, total) =>
                    {
                        task.MaxValue = Math.Max(1, total);
                        task.Value = done;
                    }, ct);
                });
        }
        catch (ModelLoadException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return (ExitCodes.StartFailed, null);
        }
        catch (FileNotFoundException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return (ExitCodes.StartFailed, null);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] invalid setting: {ex.Message}");
            return (ExitCodes.StartFailed, null);
        }

        ReportWriter.WriteCsv(result, settings.OutDir);
        await ReportWriter.WriteHtmlAsync(settings.DatabaseFile, result, settings.OutDir, ct);
        PrintSummary(result, settings.OutDir);
        return (result.FailedViews > 0 ? ExitCodes.SomeInputFailed : ExitCodes.Ok, result);
    }

    private static void PrintSummary(ScreenResult r, string outDir)
    {
        var summary = new Table().Title("Summary").AddColumn("").AddColumn(new TableColumn("count").RightAligned());
        summary.AddRow("studies", r.Studies.Count.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("studies flagged abnormal", r.Studies.Count(s => s.Abnormal == true).ToString(CultureInfo.InvariantCulture));
        summary.AddRow("views scored", r.Views.Count(v => v.State == Data.ViewState.Scored).ToString(CultureInfo.InvariantCulture));
        summary.AddRow("views failed", r.FailedViews.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("views sent to the model this run", r.QueuedThisRun.ToString(CultureInfo.InvariantCulture));
        if (r.UnfiledFiles > 0)
        {
            summary.AddRow("files that belong to no study (failed, in views.csv)", r.UnfiledFiles.ToString(CultureInfo.InvariantCulture));
        }

        summary.AddRow("hidden and OS files skipped (.DS_Store, __MACOSX, Thumbs.db…)", r.SkippedLitter.ToString(CultureInfo.InvariantCulture));
        summary.AddRow("reports and notes skipped (csv, txt, json…)", r.SkippedOther.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(summary);

        var top = new Table().Title("Worklist (top 10 by score)").AddColumn("#").AddColumn("study").AddColumn("body part").AddColumn(new TableColumn("views").RightAligned()).AddColumn(new TableColumn("score").RightAligned()).AddColumn("flag");
        var rank = 0;
        foreach (var s in r.Studies.Take(10))
        {
            top.AddRow(
                (++rank).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(s.StudyInstanceUid.Length > 28 ? "…" + s.StudyInstanceUid[^27..] : s.StudyInstanceUid),
                Markup.Escape(s.BodyPart ?? "?"),
                s.Views.ToString(CultureInfo.InvariantCulture),
                s.Score?.ToString("0.000", CultureInfo.InvariantCulture) ?? "–",
                s.Abnormal switch { true => "[red]abnormal[/]", false => "normal", _ => "[grey]not scored[/]" });
        }

        AnsiConsole.Write(top);
        foreach (var failed in r.Views.Where(v => v.State == Data.ViewState.Failed).Take(5))
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]failed:[/] {failed.File}: {failed.Error}");
        }

        if (r.Writer is { Views: > 0 } w)
        {
            // The serialised part of ingest: `mura bench pipeline` reads this line.
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Ingest wrote {w.Views} files in {w.Commits} transactions, holding the database {w.HeldMsPerView:0.000} ms a file.");
        }

        AnsiConsole.MarkupLineInterpolated($"Model {r.ModelSha256[..12]} ({DicomUids.ImplementationVersionName}). Wrote studies.csv, views.csv and report.html to {outDir}");
    }
}
