using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Api;
using MuraPipeline.Data;
using MuraPipeline.Ingest;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

public static class StatusCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the status as JSON for scripts." };
        var db = new Option<FileInfo?>("--db") { Description = "An embedded SQLite database to read (default: ConnectionStrings__Postgres, else mura.db here)." };
        var cmd = new Command("status", "Studies and views per state, scoring rate, the oldest waiting study, and queue depths from RabbitMQ.") { json, db };
        cmd.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(db) is { } file)
            {
                overrides["ConnectionStrings:Postgres"] = null;
                overrides["Database:SqliteFile"] = file.FullName;
            }

            var target = DatabaseTarget.From(ServiceHost.LoadConfiguration(overrides));
            await using var provider = await ServiceHost.OpenAdminAsync(target, ct, (services, configuration) => services.AddIngestVolumes(configuration).AddHttpClient().AddScoped<PipelineStatusReader>(), overrides, schema: false);
            await using var scope = provider.CreateAsyncScope();
            PipelineStatus status;
            try
            {
                status = await scope.ServiceProvider.GetRequiredService<PipelineStatusReader>().ReadAsync(ct);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] cannot read the database ({target.Describe()}): {ex.Message}");
                return ExitCodes.StartFailed;
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(status, PipelineStatus.Json));
            }
            else
            {
                Print(status);
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Print(PipelineStatus s)
    {
        var states = new Table().Title("State").AddColumn("").AddColumn(new TableColumn("studies").RightAligned()).AddColumn(new TableColumn("views").RightAligned());
        foreach (var name in new[] { "received", "queued", "scored", "failed" })
        {
            states.AddRow(name, s.Studies.GetValueOrDefault(name).ToString(CultureInfo.InvariantCulture), s.Views.GetValueOrDefault(name).ToString(CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(states);
        AnsiConsole.MarkupLineInterpolated($"database: {s.Database}");
        AnsiConsole.MarkupLineInterpolated($"scored per minute (last {PipelineStatusReader.RateWindow.TotalMinutes:0} min): {s.ScoredPerMinute:0.##}");
        AnsiConsole.MarkupLineInterpolated($"PACS pulls: {s.Pulls.ActiveJobs} active jobs; studies {s.Pulls.Pending} pending, {s.Pulls.Retrieving} retrieving, {s.Pulls.Received} received, {s.Pulls.Failed} failed");
        AnsiConsole.MarkupLineInterpolated($"DICOM results: {s.Results.Objects} objects; deliveries {s.Results.Pending} pending, {s.Results.Sent} sent, {s.Results.Failed} failed");
        foreach (var v in s.Storage.Volumes)
        {
            var line = $"storage {v.Name} ({v.Path}): {v.FreeBytes / (1024 * 1024):N0} MB free of {v.TotalBytes / (1024 * 1024):N0} MB (watermark {v.MinFreeBytes / (1024 * 1024):N0} MB){(v.FolderBytes is { } b ? $"; the folder holds {b / (1024 * 1024):N0} MB" : string.Empty)}";
            AnsiConsole.MarkupLine(v.Low ? $"[red]{Markup.Escape(line)}: LOW, writing to it waits[/]" : Markup.Escape(line));
        }

        AnsiConsole.MarkupLineInterpolated($"stored per view ({s.Storage.Views} views): {string.Join(", ", s.Storage.BytesPerView.Select(k => $"{k.Key} {k.Value / 1024.0:N0} KB"))}");
        AnsiConsole.MarkupLineInterpolated($"oldest waiting study: {(s.OldestWaiting is { } w ? $"{w.StudyInstanceUid} ({w.State}, {w.AgeSeconds:0} s)" : "none")}");
        AnsiConsole.MarkupLineInterpolated($"broker: {s.Broker}");
        if (s.BrokerError is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{s.BrokerError}[/]");
        }

        if (s.Queues.Count > 0)
        {
            var queues = new Table().Title("Queues").AddColumn("queue").AddColumn(new TableColumn("ready").RightAligned()).AddColumn(new TableColumn("unacked").RightAligned()).AddColumn(new TableColumn("consumers").RightAligned());
            foreach (var q in s.Queues)
            {
                var name = q.Name.EndsWith("_error", StringComparison.Ordinal) && q.Ready > 0 ? $"[red]{Markup.Escape(q.Name)}[/]" : Markup.Escape(q.Name);
                queues.AddRow(name, q.Ready.ToString(CultureInfo.InvariantCulture), q.Unacked.ToString(CultureInfo.InvariantCulture), q.Consumers.ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(queues);
        }

        if (s.Exports.Count > 0)
        {
            var runs = new Table().Title("Retraining exports (latest first)").AddColumn("run").AddColumn("trigger").AddColumn("status").AddColumn("started (UTC)").AddColumn("took")
                .AddColumn(new TableColumn("studies").RightAligned()).AddColumn(new TableColumn("images").RightAligned()).AddColumn("training").AddColumn("folder / error");
            foreach (var r in s.Exports)
            {
                var status = r.Status switch { "failed" => "[red]failed[/]", "running" => "[yellow]running[/]", _ => r.Status };
                var took = r.Ended is { } e ? $"{(e - r.Started).TotalSeconds:0} s" : "-";
                runs.AddRow(
                    r.Run.ToString(CultureInfo.InvariantCulture), r.Trigger, status, r.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), took,
                    r.Studies.ToString(CultureInfo.InvariantCulture), r.Images.ToString(CultureInfo.InvariantCulture), Markup.Escape(r.Training ?? "-"), Markup.Escape(r.Error ?? (r.Folder is null ? "-" : Path.GetFileName(r.Folder))));
            }

            AnsiConsole.Write(runs);
        }
        else
        {
            AnsiConsole.MarkupLine("retraining exports: none yet");
        }
    }

}
