using System.CommandLine;
using System.CommandLine.Invocation;
using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MuraPipeline.Api.Access;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Model;
using MuraPipeline.Pacs;
using Spectre.Console;

namespace MuraPipeline.Cli;

/// <summary>
/// The one place a command's failure becomes what its user reads. A failure the user can act on (a file that is
/// missing, unreadable or malformed, a setting out of range, a database that does not answer, a model that does not
/// load) is one line, <c>error: …</c>, and exit code 2, whichever command met it; anything else is a bug and keeps its
/// stack trace. A command catches only what it can say more about (the database it could not reach, say).
/// </summary>
internal static class CommandErrors
{
    /// <summary>Every command of the tree, however it is invoked (the mura binary, or a test in process), reports through here.</summary>
    public static void Apply(Command command)
    {
        if (command.Action is { } action and not Reported)
        {
            command.Action = new Reported(action);
        }

        foreach (var sub in command.Subcommands)
        {
            Apply(sub);
        }
    }

    public static bool IsTheUsers(Exception ex) => ex is IOException or UnauthorizedAccessException or InvalidDataException or FormatException
        or ArgumentException or InvalidOperationException or OptionsValidationException or TimeoutException or SocketException or DbException
        or ModelLoadException or DicomException or DicomProtocolException or DicomStatusException or AccessException
        or PacsConfigurationException or IncompleteSearchException;

    /// <summary>A command's own action, with the user's errors reported and Ctrl+C ending it quietly.</summary>
    private sealed class Reported(CommandLineAction inner) : AsynchronousCommandLineAction
    {
        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
        {
            try
            {
                return inner switch
                {
                    AsynchronousCommandLineAction run => await run.InvokeAsync(parseResult, cancellationToken),
                    SynchronousCommandLineAction run => run.Invoke(parseResult),
                    _ => throw new NotSupportedException($"a command action of type {inner.GetType().Name}"),
                };
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C (or SIGTERM) during a command: what it had done is committed; nothing more to say.
                return 130;
            }
            catch (Exception ex) when (IsTheUsers(ex))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return ExitCodes.StartFailed;
            }
        }
    }
}
