using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace MuraPipeline.ServiceDefaults;

/// <summary>
/// The console log of every process and command: one line per entry (<c>HH:mm:ss.fff level: category[event] text</c>),
/// the exception after it, and both passed through <see cref="Secrets.Mask"/>, so a password inside a URL or a
/// connection string that some message or exception quotes never reaches the log.
/// </summary>
public static class MaskedConsole
{
    public const string FormatterName = "mura";

    public static ILoggingBuilder AddMuraConsole(this ILoggingBuilder logging, bool timestamps = true)
    {
        logging.AddConsole(o => o.FormatterName = FormatterName);
        logging.AddConsoleFormatter<Formatter, ConsoleFormatterOptions>(o => o.TimestampFormat = timestamps ? "HH:mm:ss.fff " : null);
        return logging;
    }

    private sealed class Formatter(IOptionsMonitor<ConsoleFormatterOptions> options) : ConsoleFormatter(FormatterName)
    {
        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
            if (message is null && logEntry.Exception is null)
            {
                return;
            }

            var o = options.CurrentValue;
            if (o.TimestampFormat is { } format)
            {
                textWriter.Write((o.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now).ToString(format, CultureInfo.InvariantCulture));
            }

            textWriter.Write(logEntry.LogLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                LogLevel.Critical => "crit",
                _ => "none",
            });
            textWriter.Write(": ");
            textWriter.Write(logEntry.Category);
            textWriter.Write('[');
            textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
            textWriter.Write("] ");
            textWriter.Write(Secrets.Mask(message?.ReplaceLineEndings(" ")));
            if (logEntry.Exception is { } ex)
            {
                textWriter.Write(Environment.NewLine);
                textWriter.Write(Secrets.Mask(ex.ToString()));
            }

            textWriter.Write(Environment.NewLine);
        }
    }
}
