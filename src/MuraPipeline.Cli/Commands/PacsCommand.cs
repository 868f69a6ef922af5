using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Pacs;
using MuraPipeline.ServiceDefaults;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura pacs echo|find|pull|jobs</c>: the configured PACS nodes (Pacs:Nodes:NAME), queried and pulled from.</summary>
public static class PacsCommand
{
    public static Command Create()
    {
        var cmd = new Command("pacs", "Query and pull from the PACS nodes configured under Pacs:Nodes:NAME (AeTitle, Host, Port, Retrieve = move or get).");
        cmd.Subcommands.Add(Echo());
        cmd.Subcommands.Add(Find());
        cmd.Subcommands.Add(Pull());
        cmd.Subcommands.Add(Jobs());
        return cmd;
    }

    private static Argument<string> NodeArgument() => new("NAME") { Description = "The node's name under Pacs:Nodes." };

    private static Command Echo()
    {
        var node = NodeArgument();
        var cmd = new Command("echo", "Verify a PACS node with C-ECHO.") { node };
        cmd.SetAction(async (parse, ct) =>
        {
            var (options, tls) = Options();
            var status = await options.Client(parse.GetValue(node)!, tls).EchoAsync(ct);
            Console.WriteLine($"C-ECHO {parse.GetValue(node)}: status 0x{status:X4}");
            return status == 0 ? ExitCodes.Ok : ExitCodes.SomeInputFailed;
        });
        return cmd;
    }

    private sealed record Filters(Option<string?> From, Option<string?> To, Option<string?> Modality, Option<string?> BodyPart, Option<string?> Accession, Option<string?> PatientId, Option<FileInfo?> Studies)
    {
        public static Filters Create() => new(
            new Option<string?>("--from") { Description = "Studies on or after this date (YYYY-MM-DD)." },
            new Option<string?>("--to") { Description = "Studies on or before this date (YYYY-MM-DD)." },
            new Option<string?>("--modality") { Description = "Studies with a series of one of these modalities, comma separated (CR,DX)." },
            new Option<string?>("--body-part") { Description = "Studies with a series of this body part (WRIST, or a Body Part Examined value)." },
            new Option<string?>("--accession") { Description = "The study with this accession number." },
            new Option<string?>("--patient-id") { Description = "Studies of this patient id." },
            new Option<FileInfo?>("--studies") { Description = "A file of Study Instance UIDs, one a line ('#' starts a comment)." });

        public IEnumerable<Option> All => [From, To, Modality, BodyPart, Accession, PatientId, Studies];

        public PacsQuery Read(ParseResult parse)
        {
            var studies = parse.GetValue(Studies) is { } file
                ? File.ReadAllLines(file.FullName).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToList()
                : [];
            var bad = studies.FirstOrDefault(u => !DicomUids.IsValid(u));
            if (bad is not null)
            {
                throw new ArgumentException($"--studies: '{bad}' is not a Study Instance UID");
            }

            return new PacsQuery
            {
                From = Date(parse.GetValue(From), "--from"),
                To = Date(parse.GetValue(To), "--to"),
                Modalities = (parse.GetValue(Modality) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => m.ToUpperInvariant()).ToList(),
                BodyPart = Blank(parse.GetValue(BodyPart))?.ToUpperInvariant(),
                Accession = Blank(parse.GetValue(Accession)),
                PatientId = Blank(parse.GetValue(PatientId)),
                StudyUids = studies,
            };
        }

        private static DateOnly? Date(string? text, string option) => text is null ? null
            : DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
            : throw new ArgumentException($"{option} '{text}' is not a date (YYYY-MM-DD)");

        private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    }

    private static Command Find()
    {
        var node = NodeArgument();
        var filters = Filters.Create();
        var json = new Option<bool>("--json") { Description = "Print the matches as JSON (for scripts)." };
        var cmd = new Command("find", "Study Root C-FIND: the studies that match, with their date, modalities, body parts and instance counts.") { node, json };
        foreach (var o in filters.All)
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            var (options, tls) = Options();
            var name = parse.GetValue(node)!;
            var aliases = SettingsSection.Bind<StudyTypeOptions>(ServiceHost.LoadConfiguration(), StudyTypeOptions.Section).Aliases;
            var (matches, search) = await PacsFinder.FindAsync(options.Client(name, tls), filters.Read(parse), options.Node(name).MaxResults, new StudyTypeResolver(aliases), TimeProvider.System, ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(matches.Select(m => new
                {
                    studyInstanceUid = m.StudyInstanceUid,
                    studyDate = m.StudyDate,
                    accession = m.Accession,
                    patientId = m.PatientId,
                    modalities = m.Modalities,
                    bodyPart = m.BodyPart,
                    instances = m.Instances,
                    wantedInstances = m.WantedInstances,
                    series = m.Series.Select(s => new { seriesInstanceUid = s.SeriesInstanceUid, modality = s.Modality, bodyPart = s.BodyPart, instances = s.Instances, pulled = s.Wanted }),
                }), JsonOptions));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumn(new TableColumn("study instance UID").NoWrap()).AddColumn("date").AddColumn("modalities").AddColumn("body part").AddColumn(new TableColumn("instances").RightAligned()).AddColumn(new TableColumn("to pull").RightAligned());
            foreach (var m in matches)
            {
                table.AddRow(m.StudyInstanceUid, m.StudyDate ?? "", string.Join(',', m.Modalities), Markup.Escape(m.BodyPart ?? ""), Count(m.Instances), Count(m.WantedInstances));
            }

            AnsiConsole.Write(table);
            Console.WriteLine($"{matches.Count} studies, complete ({Queries(search)})");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Pull()
    {
        var node = NodeArgument();
        var filters = Filters.Create();
        var concurrent = new Option<int>("--max-concurrent") { Description = "Studies retrieved at once.", DefaultValueFactory = _ => 1 };
        var rate = new Option<double>("--studies-per-minute") { Description = "Studies started per minute, at most (0: no limit).", DefaultValueFactory = _ => 0 };
        var resume = new Option<Guid?>("--resume") { Description = "Work an existing job (after a crash or restart) instead of recording a new one." };
        var detach = new Option<bool>("--detach") { Description = "Record the job and leave it to the scheduler role, which runs it inside Pacs:PullWindow." };
        var db = DbOption();
        var cmd = new Command("pull", "Record a pull job (one row per matching study) and retrieve its studies by C-MOVE to our receiver or C-GET into the watched folder; the ingest role takes them from there.") { node, concurrent, rate, resume, detach, db };
        node.Arity = ArgumentArity.ZeroOrOne;
        foreach (var o in filters.All)
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(async (parse, ct) =>
        {
            await using var services = await OpenAsync(parse.GetValue(db), ct);
            Guid jobId;
            if (parse.GetValue(resume) is { } existing)
            {
                jobId = existing;
            }
            else
            {
                var name = parse.GetValue(node) ?? throw new ArgumentException("name the PACS node to pull from (or --resume JOB)");
                var options = services.GetRequiredService<IOptions<PacsOptions>>().Value;
                var query = filters.Read(parse);
                await using var scope = services.CreateAsyncScope();
                var jobs = scope.ServiceProvider.GetRequiredService<PullJobs>();
                var (job, search) = await jobs.RecordAsync(options.Client(name, services.GetRequiredService<DicomTls>()), name, options.Node(name), query,
                    parse.GetValue(concurrent), parse.GetValue(rate), AuditActor.CommandLine, ct);
                jobId = job.Id;
                var count = (await jobs.ProgressAsync(job.Id, ct))?.Total ?? 0;
                Console.WriteLine($"pull job {job.Id}: {count} studies from {name} by C-{job.Retrieve.ToUpperInvariant()} ({job.Query}); the search is complete ({Queries(search)})");
            }

            if (parse.GetValue(detach))
            {
                return ExitCodes.Ok;
            }

            var summary = await services.GetRequiredService<Puller>().RunAsync(jobId, ct);
            await using (var scope = services.CreateAsyncScope())
            {
                var progress = await scope.ServiceProvider.GetRequiredService<PullJobs>().ProgressAsync(jobId, ct)
                    ?? throw new ArgumentException($"no pull job {jobId}");
                Console.WriteLine($"pull job {jobId}: {progress.Received} received ({summary.AlreadyHere} already here this run), {progress.Failed} failed, {progress.Incomplete} incomplete, {progress.Left} left; {progress.Retrieved} instances retrieved, {progress.Skipped} skipped");
                return progress.Failed + progress.Incomplete > 0 ? ExitCodes.SomeInputFailed : ExitCodes.Ok;
            }
        });
        return cmd;
    }

    private static Command Jobs()
    {
        var job = new Option<Guid?>("--job") { Description = "One job's studies, each with its state, attempts and reason." };
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var db = DbOption();
        var cmd = new Command("jobs", "Pull jobs and their progress.") { job, json, db };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var services = await OpenAsync(parse.GetValue(db), ct);
            await using var scope = services.CreateAsyncScope();
            var jobs = scope.ServiceProvider.GetRequiredService<PullJobs>();
            if (parse.GetValue(job) is { } id)
            {
                var studies = await jobs.StudiesAsync(id, ct);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(studies.Select(s => new { studyInstanceUid = s.StudyInstanceUid, state = s.State.ToString().ToLowerInvariant(), s.Attempts, s.Retrieved, s.Skipped, s.FailedInstances, s.Reason }), JsonOptions));
                    return ExitCodes.Ok;
                }

                var table = new Table().AddColumn("study instance UID").AddColumn("date").AddColumn("state").AddColumn(new TableColumn("attempts").RightAligned()).AddColumn(new TableColumn("retrieved").RightAligned()).AddColumn(new TableColumn("skipped").RightAligned()).AddColumn("reason");
                foreach (var s in studies)
                {
                    table.AddRow(s.StudyInstanceUid, s.StudyDate ?? "", s.State.ToString().ToLowerInvariant(), Count(s.Attempts), Count(s.Retrieved), Count(s.Skipped), Markup.Escape(s.Reason ?? ""));
                }

                AnsiConsole.Write(table);
                return ExitCodes.Ok;
            }

            var list = await jobs.ListAsync(100, ct);
            var window = services.GetRequiredService<IOptions<PacsOptions>>().Value.Window();
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(list.Select(p => new
                {
                    id = p.Job.Id, node = p.Job.Node, retrieve = p.Job.Retrieve, query = p.Job.Query, state = p.Job.State.ToString().ToLowerInvariant(),
                    p.Total, p.Pending, p.Retrieving, p.Received, p.Failed, p.Incomplete, p.Retrieved, p.Skipped, searchQueries = p.Job.SearchQueries,
                    studiesPerHourLastHour = p.EndedLastHour, studiesPerHourSinceStart = p.PerHourSinceStart(now), estimatedEnd = p.EstimatedEnd(now, window, TimeZoneInfo.Local),
                    createdAt = p.Job.CreatedAt, finishedAt = p.Job.FinishedAt,
                }), JsonOptions));
                return ExitCodes.Ok;
            }

            var t = new Table().AddColumn("job").AddColumn("node").AddColumn("query").AddColumn("state").AddColumn(new TableColumn("studies").RightAligned()).AddColumn(new TableColumn("received").RightAligned())
                .AddColumn(new TableColumn("failed").RightAligned()).AddColumn(new TableColumn("incomplete").RightAligned()).AddColumn(new TableColumn("left").RightAligned())
                .AddColumn(new TableColumn("per hour (last hour, since start)").RightAligned()).AddColumn("estimated end (local)").AddColumn("created (UTC)");
            foreach (var p in list)
            {
                var since = p.PerHourSinceStart(now) is { } r ? r.ToString("0.#", CultureInfo.InvariantCulture) : "-";
                var end = p.EstimatedEnd(now, window, TimeZoneInfo.Local) is { } e ? TimeZoneInfo.ConvertTime(e, TimeZoneInfo.Local).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
                t.AddRow(p.Job.Id.ToString(), Markup.Escape(p.Job.Node), Markup.Escape(p.Job.Query), p.Job.State.ToString().ToLowerInvariant(), Count(p.Total), Count(p.Received), Count(p.Failed), Count(p.Incomplete), Count(p.Left),
                    $"{Count(p.EndedLastHour)}, {since}", end, p.Job.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static string Count(int? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Queries(SearchSummary search) => search.Splits == 0
        ? $"{search.Queries} {(search.Queries == 1 ? "query" : "queries")}"
        : $"{search.Queries} queries: the PACS capped {search.Splits} answers, each asked again in narrower date or time ranges";

    private static Option<string?> DbOption() =>
        new("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };

    private static (PacsOptions Options, DicomTls Tls) Options()
    {
        var configuration = ServiceHost.LoadConfiguration();
        return (SettingsSection.Bind<PacsOptions>(configuration, PacsOptions.Section), DicomTlsRegistration.Load(configuration));
    }

    private static Task<ServiceProvider> OpenAsync(string? db, CancellationToken ct) =>
        ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(db), ct, (s, configuration) => s
            .AddLogging(b => b.AddMuraConsole(timestamps: false).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning))
            .AddPacs(configuration));
}
