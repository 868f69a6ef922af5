using System.CommandLine;
using MuraPipeline.Phantoms;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

public static class PhantomsCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the studies and labels.csv into.", Required = true };
        var studies = new Option<int>("--studies") { Description = "Number of studies.", DefaultValueFactory = _ => 60 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed: the same seed writes the same bytes.", DefaultValueFactory = _ => 1 };
        var format = new Option<PhantomFormat>("--format") { Description = "dicom (Part-10 files) or mura (a MURA-layout PNG tree of 8-bit derivatives).", DefaultValueFactory = _ => PhantomFormat.Dicom };
        var abnormal = new Option<double>("--abnormal-fraction") { Description = "Share of abnormal studies.", DefaultValueFactory = _ => 0.5 };
        var cmd = new Command("phantoms", "Write synthetic radiograph studies with known findings, and their labels.csv.")
        {
            output, studies, seed, format, abnormal,
        };
        cmd.SetAction((parse, ct) =>
        {
            var dir = parse.GetValue(output)!.FullName;
            var n = parse.GetValue(studies);
            if (n <= 0)
            {
                AnsiConsole.MarkupLine("[red]--studies must be at least 1[/]");
                return Task.FromResult(ExitCodes.StartFailed);
            }

            var generator = new PhantomGenerator(parse.GetValue(seed), parse.GetValue(abnormal));
            AnsiConsole.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("phantoms", maxValue: n);
                PhantomWriter.WriteAll(generator, n, dir, parse.GetValue(format), done => task.Value = done);
            });
            AnsiConsole.MarkupLine($"Wrote [bold]{n}[/] studies to {Markup.Escape(dir)} (labels in labels.csv)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
