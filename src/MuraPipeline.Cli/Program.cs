using MuraPipeline.Cli;
using MuraPipeline.Data;

// What the product writes (database, received instances, derivatives, reports, exports, keys) is its account's alone.
PrivateFiles.RestrictNewFiles();

if (Console.IsOutputRedirected)
{
    // A script or a log reads the tables: one row a line, never wrapped to an assumed 80-column terminal.
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

return await MuraCommandLine.Build().Parse(args).InvokeAsync();
