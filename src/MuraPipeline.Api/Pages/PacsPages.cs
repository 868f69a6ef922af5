using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using MuraPipeline.Api.Access;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Pacs;
using static MuraPipeline.Api.Access.ConsolePages;

namespace MuraPipeline.Api.Pages;

/// <summary>The PACS page: pull jobs and their progress, studies that failed to arrive, and the results outbox with resend.</summary>
public static class PacsPages
{
    public static IEndpointRouteBuilder MapPacsPages(this IEndpointRouteBuilder app)
    {
        var op = ConsoleSecurity.Policy(AccessRole.Operator);
        app.MapGet("/pacs", async (HttpContext http, PullJobs pulls, ResultsOutbox outbox, ConsoleReads reads, IOptions<PacsOptions> pacs, TimeProvider clock, string? done, CancellationToken ct) =>
        {
            var jobs = await pulls.ListAsync(50, ct);
            var failedStudies = await reads.PullFailuresAsync(100, ct);
            var counts = await outbox.CountsAsync(ct);
            var unsent = (await outbox.ListAsync(null, 100, ct, unsentOnly: true)).ToList();
            return Html(Page(http, "PACS", Body(http, jobs, pacs.Value.Window(), clock.GetUtcNow(), failedStudies, counts, unsent, done)));
        }).RequireAuthorization(op);
        app.MapPost("/pacs/results/resend", async (HttpContext http, ResultsOutbox outbox, AuditLog audit, [FromForm] string? study, CancellationToken ct) =>
        {
            var n = await outbox.ResendAsync(string.IsNullOrWhiteSpace(study) ? null : study, null, failedOnly: string.IsNullOrWhiteSpace(study), ct);
            await audit.RecordAsync(http.Actor().Did("results.resend", string.IsNullOrWhiteSpace(study) ? "failed deliveries" : study, $"{n} deliveries due again"), ct);
            return Results.Redirect($"/pacs?done={Uri.EscapeDataString($"{n} deliveries will be sent again")}");
        }).RequireAuthorization(op);
        return app;
    }

    private static string Body(HttpContext http, IReadOnlyList<PullProgress> jobs, PullWindow window, DateTimeOffset now, List<PullStudy> failed, OutboxCounts counts, List<OutboxEntry> unsent, string? done)
    {
        var jobRows = new StringBuilder();
        foreach (var p in jobs)
        {
            var share = p.Total == 0 ? 100 : 100 * p.Ended / p.Total;
            var since = p.PerHourSinceStart(now) is { } r ? r.ToString("0.#", CultureInfo.InvariantCulture) : "-";
            var end = p.EstimatedEnd(now, window, TimeZoneInfo.Local) is { } e ? TimeZoneInfo.ConvertTime(e, TimeZoneInfo.Local).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";
            jobRows.Append(CultureInfo.InvariantCulture, $"""
                <tr><td><code>{p.Job.Id}</code></td><td>{Enc(p.Job.Node)}</td><td>{Enc(p.Job.Retrieve)}</td><td>{Enc(p.Job.Query)}</td><td>{Enc(p.Job.State.ToString().ToLowerInvariant())}</td>
                <td><progress max="100" value="{share}" aria-label="done">{share} %</progress></td><td class="num">{p.Total}</td><td class="num">{p.Received}</td><td class="num">{p.Failed}</td><td class="num">{p.Incomplete}</td><td class="num">{p.Left}</td>
                <td class="num">{p.EndedLastHour}</td><td class="num">{since}</td><td>{end}</td>
                <td class="num">{p.Retrieved}</td><td class="num">{p.Skipped}</td><td>{p.Job.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{Enc(p.Job.CreatedBy)}</td></tr>
                """);
        }

        var failedRows = new StringBuilder();
        foreach (var s in failed)
        {
            failedRows.Append(CultureInfo.InvariantCulture, $"<tr class=\"alert\"><td><code>{Enc(s.StudyInstanceUid)}</code></td><td>{Enc(s.StudyDate)}</td><td class=\"num\">{s.Attempts}</td><td>{Enc(s.Reason)}</td></tr>");
        }

        var outboxRows = new StringBuilder();
        foreach (var e in unsent)
        {
            foreach (var d in e.Deliveries.Where(d => d.State != DeliveryState.Sent))
            {
                outboxRows.Append(CultureInfo.InvariantCulture, $"""
                    <tr class="{(d.State == DeliveryState.Failed ? "alert" : string.Empty)}"><td><code>{Enc(e.Result.StudyInstanceUid)}</code></td><td>{Enc(e.Result.Kind)}</td><td><code>{Enc(e.Result.SopInstanceUid)}</code></td><td>{Enc(d.Destination)}</td>
                    <td>{Enc(d.State.ToString().ToLowerInvariant())}</td><td class="num">{d.Attempts}</td><td>{d.NextAttemptAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{Enc(d.LastError)}</td>
                    <td><form method="post" action="/pacs/results/resend">{AntiforgeryField(http)}<input type="hidden" name="study" value="{Enc(e.Result.StudyInstanceUid)}"><button type="submit">Send now</button></form></td></tr>
                    """);
            }
        }

        return $"""
            <h1>PACS</h1>
            {(done is null ? string.Empty : $"<p class=\"notice\" role=\"status\">{Enc(done)}</p>")}
            <h2>Pull jobs</h2>
            <p>Recorded by <code>mura pacs pull</code>; the scheduler role works them inside <code>Pacs:PullWindow</code> ({Enc(window.ToString())}); the estimated end counts only the window's open hours.</p>
            <table class="grid" id="pull-jobs"><thead><tr><th>job</th><th>node</th><th>by</th><th>query</th><th>state</th><th>progress</th><th>studies</th><th>received</th><th>failed</th><th>incomplete</th><th>left</th><th>per hour, last hour</th><th>per hour since start</th><th>estimated end (local)</th><th>instances</th><th>skipped</th><th>created (UTC)</th><th>by whom</th></tr></thead>
            <tbody>{(jobRows.Length == 0 ? "<tr><td colspan=\"18\">No pull job yet.</td></tr>" : jobRows.ToString())}</tbody></table>
            <h2>Studies that did not arrive</h2>
            <table class="grid" id="pull-failures"><thead><tr><th>study</th><th>date</th><th>attempts</th><th>reason</th></tr></thead>
            <tbody>{(failedRows.Length == 0 ? "<tr><td colspan=\"4\">None.</td></tr>" : failedRows.ToString())}</tbody></table>
            <h2>Results outbox</h2>
            <p id="outbox-counts">{counts.Objects} objects (SR and heatmap captures); deliveries: {counts.Pending} pending, {counts.Sent} sent, {counts.Failed} failed.</p>
            <form method="post" action="/pacs/results/resend">{AntiforgeryField(http)}<button type="submit"{(counts.Failed == 0 ? " disabled" : string.Empty)}>Send every failed delivery again</button></form>
            <table class="grid" id="outbox"><thead><tr><th>study</th><th>kind</th><th>object</th><th>destination</th><th>state</th><th>attempts</th><th>next try (UTC)</th><th>last error</th><th></th></tr></thead>
            <tbody>{(outboxRows.Length == 0 ? "<tr><td colspan=\"9\">Nothing waiting.</td></tr>" : outboxRows.ToString())}</tbody></table>
            """;
    }
}
