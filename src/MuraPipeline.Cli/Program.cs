using MuraPipeline.Cli;

if (Console.IsOutputRedirected)
{
    // A script or a log reads the tables: one row a line, never wrapped to an assumed 80-column terminal.
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

return await MuraCommandLine.Build().Parse(args).InvokeAsync();
