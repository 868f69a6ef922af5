using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.DicomResults;
using MuraPipeline.ServiceDefaults;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura results list|resend|export</c>: the DICOM results (SR and heatmap Secondary Captures) and their outbox.</summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var cmd = new Command("results", "The DICOM results of scored studies (a TID 1500 SR and heatmap Secondary Captures) and their deliveries to Results:Destinations.");
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Resend());
        cmd.Subcommands.Add(Export());
        return cmd;
    }

    private static Option<string?> DbOption() =>
        new("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };

    private static Option<string?> StudyOption(string what) => new("--study") { Description = what };

    private static Command List()
    {
        var study = StudyOption("Only this study's objects.");
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var db = DbOption();
        var cmd = new Command("list", "Result objects, newest first, with each destination's delivery state, attempts and last error.") { study, json, db };
        cmd.SetAction((parse, ct) => WithOutboxAsync(parse.GetValue(db), ct, async outbox =>
        {
            var entries = await outbox.ListAsync(parse.GetValue(study), 500, ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(entries.Select(e => new
                {
                    studyInstanceUid = e.Result.StudyInstanceUid, kind = e.Result.Kind, sopInstanceUid = e.Result.SopInstanceUid, seriesInstanceUid = e.Result.SeriesInstanceUid,
                    modelSha256 = e.Result.ModelSha256, view = e.Result.ViewSopInstanceUid,
                    deliveries = e.Deliveries.Select(d => new { destination = d.Destination, state = d.State.ToString().ToLowerInvariant(), attempts = d.Attempts, lastError = d.LastError, sentAt = d.SentAt }),
                }), new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumn(new TableColumn("study").NoWrap()).AddColumn("kind").AddColumn(new TableColumn("SOP instance UID").NoWrap()).AddColumn("destination").AddColumn("state").AddColumn(new TableColumn("attempts").RightAligned()).AddColumn("last error");
            foreach (var e in entries)
            {
                foreach (var d in e.Deliveries.DefaultIfEmpty())
                {
                    table.AddRow(e.Result.StudyInstanceUid, e.Result.Kind, e.Result.SopInstanceUid, Markup.Escape(d?.Destination ?? "(none)"), d?.State.ToString().ToLowerInvariant() ?? "",
                        d?.Attempts.ToString(CultureInfo.InvariantCulture) ?? "", Markup.Escape(d?.LastError ?? ""));
                }
            }

            AnsiConsole.Write(table);
            var counts = await outbox.CountsAsync(ct);
            Console.WriteLine($"{counts.Objects} objects; deliveries: {counts.Pending} pending, {counts.Sent} sent, {counts.Failed} failed");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Resend()
    {
        var study = StudyOption("Resend this study's objects.");
        var sop = new Option<string?>("--object") { Description = "Resend the object with this SOP Instance UID." };
        var failed = new Option<bool>("--failed") { Description = "Resend every delivery that gave up (state failed)." };
        var db = DbOption();
        var cmd = new Command("resend", "Put deliveries back in the outbox, due now: the results role sends them on its next pass.") { study, sop, failed, db };
        cmd.SetAction((parse, ct) => WithOutboxAsync(parse.GetValue(db), ct, async outbox =>
        {
            if (parse.GetValue(study) is null && parse.GetValue(sop) is null && !parse.GetValue(failed))
            {
                throw new ArgumentException("say what to resend: --study UID, --object UID or --failed");
            }

            var n = await outbox.ResendAsync(parse.GetValue(study), parse.GetValue(sop), parse.GetValue(failed), ct);
            Console.WriteLine($"{n} deliveries due again");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Export()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write STUDY_UID/sr-UID.dcm and sc-UID.dcm into.", Required = true };
        var study = StudyOption("Only this study.");
        var db = DbOption();
        var cmd = new Command("export", "Write the result objects of every scored study as Part-10 files: the stored ones where the outbox has them, else made now, the same objects (same UIDs) the outbox sends.") { output, study, db };
        cmd.SetAction((parse, ct) => WithOutboxAsync(parse.GetValue(db), ct, async (outbox, options) =>
        {
            var dir = parse.GetValue(output)!.FullName;
            int studies = 0, files = 0, skipped = 0;
            foreach (var id in await outbox.ScoredStudiesAsync(parse.GetValue(study), ct))
            {
                var stored = await outbox.StoredAsync(id, ct);
                IEnumerable<(string Kind, string Study, string Sop, byte[] Bytes)> objects;
                if (stored.Count > 0)
                {
                    objects = stored.Select(r => (r.Kind, r.StudyInstanceUid, r.SopInstanceUid, r.Content));
                }
                else
                {
                    var (result, reason) = await outbox.LoadAsync(id, ct);
                    if (result is null)
                    {
                        AnsiConsole.MarkupLineInterpolated($"[yellow]skipped study {id}:[/] {reason}");
                        skipped++;
                        continue;
                    }

                    objects = ResultWriter.Build(result, options, DateTimeOffset.UtcNow).Select(o => (o.Kind, result.StudyInstanceUid, o.SopInstanceUid, o.Encode()));
                }

                studies++;
                foreach (var (kind, studyUid, sopUid, bytes) in objects)
                {
                    var folder = Directory.CreateDirectory(Path.Combine(dir, Dicom.Network.IncomingInstance.SafeName(studyUid))).FullName;
                    await File.WriteAllBytesAsync(Path.Combine(folder, $"{kind}-{sopUid}.dcm"), bytes, ct);
                    files++;
                }
            }

            Console.WriteLine($"{files} objects of {studies} studies written under {dir}{(skipped > 0 ? $"; {skipped} studies skipped" : string.Empty)}");
            return skipped > 0 ? ExitCodes.SomeInputFailed : ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Task<int> WithOutboxAsync(string? db, CancellationToken ct, Func<ResultsOutbox, Task<int>> work) => WithOutboxAsync(db, ct, (outbox, _) => work(outbox));

    private static async Task<int> WithOutboxAsync(string? db, CancellationToken ct, Func<ResultsOutbox, ResultOptions, Task<int>> work)
    {
        await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(db), ct, (s, configuration) => s
            .AddLogging(b => b.AddMuraConsole(timestamps: false).SetMinimumLevel(LogLevel.Warning))
            .AddResults(configuration, worker: false));
        await using var scope = services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<ResultsOutbox>(), services.GetRequiredService<IOptions<ResultOptions>>().Value);
    }
}
