using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Model;
using MuraPipeline.ServiceDefaults;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var roles = new Option<string>("--roles") { Description = "Comma-separated roles to host: ingest, inference, scheduler (the nightly retraining export and PACS pull windows), api, results (DICOM SR and heatmaps sent to Results:Destinations).", DefaultValueFactory = _ => "ingest,inference,api" };
        var watch = new Option<DirectoryInfo?>("--watch") { Description = "The ingest role's watched folder (Ingest:WatchDir)." };
        var urls = new Option<string?>("--urls") { Description = "Where /health, /alive and the api role's /api listen (default ASPNETCORE_URLS, else http://127.0.0.1:5080 with the api role and a free loopback port without it)." };
        var scpPort = new Option<int?>("--scp-port") { Description = "Receive DICOM (C-ECHO, C-STORE) on this port in the ingest role (Scp:Port); instances land in the watched folder (default ./mura-inbox)." };
        var aeTitle = new Option<string?>("--ae-title") { Description = "The receiver's AE title (Scp:AeTitle, default MURA)." };
        var cmd = new Command("serve", "Run roles as a service. Distributed with ConnectionStrings__RabbitMq and ConnectionStrings__Postgres, else embedded (in-memory bus, SQLite mura.db here).") { roles, watch, urls, scpPort, aeTitle };
        cmd.SetAction(async (parse, ct) =>
        {
            IReadOnlySet<string> set;
            try
            {
                set = Roles.Parse(parse.GetValue(roles)!);
            }
            catch (ArgumentException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
                return ExitCodes.StartFailed;
            }

            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(watch) is { } w)
            {
                overrides["Ingest:WatchDir"] = w.FullName;
            }

            if (parse.GetValue(scpPort) is { } port)
            {
                if (!set.Contains(Roles.Ingest))
                {
                    AnsiConsole.MarkupLine("[red]error:[/] --scp-port belongs to the ingest role; add ingest to --roles");
                    return ExitCodes.StartFailed;
                }

                overrides["Scp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (parse.GetValue(watch) is null && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("Ingest__WatchDir")))
                {
                    var inbox = Directory.CreateDirectory(Path.Combine(Environment.CurrentDirectory, "mura-inbox"));
                    overrides["Ingest:WatchDir"] = inbox.FullName;
                }
            }

            if (parse.GetValue(aeTitle) is { } ae)
            {
                overrides["Scp:AeTitle"] = ae;
            }

            overrides["urls"] = parse.GetValue(urls) ?? Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? (set.Contains(Roles.Api) ? "http://127.0.0.1:5080" : "http://127.0.0.1:0");
            return await RunAsync(set, overrides, ct);
        });
        return cmd;
    }

    private static async Task<int> RunAsync(IReadOnlySet<string> roles, Dictionary<string, string?> overrides, CancellationToken ct)
    {
        IHost host;
        try
        {
            host = ServiceHost.Build(roles, overrides);
            await ServiceHost.PrepareAsync(host, roles, ct);

            _ = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        }
        catch (Exception ex) when (ex is ModelLoadException or OptionsValidationException or InvalidOperationException or FormatException or Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] cannot start: {ex.Message}");
            return ExitCodes.StartFailed;
        }

        using (host)
        {
            var target = host.Services.GetRequiredService<DatabaseTarget>();
            Console.Error.WriteLine($"mura serve: roles {string.Join(",", roles.Order(StringComparer.Ordinal))}; database {target.Describe()}; bus {(ServiceComposition.IsDistributed(host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()) ? "RabbitMQ" : "in-memory")}");
            try
            {
                await host.RunAsync(ct);
            }
            catch (OptionsValidationException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] invalid setting: {ex.Message}");
                return ExitCodes.StartFailed;
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] cannot listen for DICOM: {ex.Message}");
                return ExitCodes.StartFailed;
            }
        }

        return ExitCodes.Ok;
    }
}
