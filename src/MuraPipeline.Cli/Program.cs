using MuraPipeline.Cli;
using MuraPipeline.Data;

// What the product writes (database, received instances, derivatives, reports, exports, keys) is its account's alone.
PrivateFiles.RestrictNewFiles();

if (Console.IsOutputRedirected)
{
    // A script or a log reads the tables: one row a line, never wrapped to an assumed 80-column terminal.
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

// Errors the user can act on are reported once, here, for every command (CommandErrors); the parser's own handler,
// which prints any exception with its stack trace, is off.
try
{
    return await MuraCommandLine.Build().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    // Ctrl+C (or SIGTERM) during a command: what it had done is committed; nothing more to say.
    return 130;
}
catch (Exception ex) when (CommandErrors.IsTheUsers(ex))
{
    return CommandErrors.Report(ex);
}
