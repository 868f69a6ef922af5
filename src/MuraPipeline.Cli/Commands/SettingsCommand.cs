using System.CommandLine;

namespace MuraPipeline.Cli.Commands;

/// <summary>
/// `mura settings`: every setting the product reads, from its options classes (each with a <c>Section</c> constant):
/// the key as an environment variable, its default, its allowed range and what it does (the property's own summary).
/// `--markdown` prints docs/configuration.md, which a test holds to this output.
/// </summary>
public static class SettingsCommand
{
    public static Command Create()
    {
        var markdown = new Option<bool>("--markdown") { Description = "Print the reference page (docs/configuration.md) instead of the plain list." };
        var cmd = new Command("settings", "List every setting: its environment variable, default, allowed values and what it does.") { markdown };
        cmd.SetAction(parse =>
        {
            Console.Write(parse.GetValue(markdown) ? SettingsCatalog.Markdown() : SettingsCatalog.Text());
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
