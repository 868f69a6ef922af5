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
    public static bool IsTheUsers(Exception ex) => ex is IOException or UnauthorizedAccessException or InvalidDataException or FormatException
        or ArgumentException or InvalidOperationException or OptionsValidationException or TimeoutException or SocketException or DbException
        or ModelLoadException or DicomException or DicomProtocolException or DicomStatusException or AccessException
        or PacsConfigurationException or IncompleteSearchException;

    /// <summary>Prints the failure and returns the exit code for a run that could not start or finish.</summary>
    public static int Report(Exception ex)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
        return ExitCodes.StartFailed;
    }
}
