using System.CommandLine;
using MuraPipeline.Cli.Commands;

namespace MuraPipeline.Cli;

/// <summary>The mura command tree; each command's wiring lives in its own file under Commands/.</summary>
public static class MuraCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("MuraPipeline: batch screening of musculoskeletal radiographs.");
        root.Subcommands.Add(ScreenCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(PhantomsCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(DbCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(DicomCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(AccessCommands.Users());
        root.Subcommands.Add(AccessCommands.Keys());
        root.Subcommands.Add(LabelsCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(RetentionCommand.Create());
        root.Subcommands.Add(PacsCommand.Create());
        root.Subcommands.Add(ResultsCommand.Create());
        root.Subcommands.Add(SettingsCommand.Create());

        // Errors the user can act on are reported once, for every command (CommandErrors).
        CommandErrors.Apply(root);
        return root;
    }
}
