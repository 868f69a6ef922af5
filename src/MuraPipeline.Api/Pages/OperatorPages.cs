using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Api.Access;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using static MuraPipeline.Api.Access.ConsolePages;

namespace MuraPipeline.Api.Pages;

/// <summary>The operators' pages: the live overview, failures with retry and replay, models, exports and the audit trail.</summary>
public static class OperatorPages
{
    private static readonly JsonSerializerOptions Json = new(PipelineStatus.Json) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IEndpointRouteBuilder MapOperatorPages(this IEndpointRouteBuilder app)
    {
        var op = ConsoleSecurity.Policy(AccessRole.Operator);
        app.MapGet("/api/overview", async (PipelineStatusReader status, ConsoleReads reads, CancellationToken ct) =>
            Results.Json(new Overview(await status.ReadAsync(ct), await reads.ScoredPerMinuteAsync(60, ct), await reads.ReplicasAsync(ct)), Json)).RequireAuthorization(op);
        app.MapGet("/overview", (HttpContext http) => Html(Page(http, "Overview", OverviewBody))).RequireAuthorization(op);

        app.MapGet("/failures", async (HttpContext http, ConsoleReads reads, PipelineStatusReader status, ErrorQueues errors, string? reason, string? body_part, string? done, CancellationToken ct) =>
        {
            var groups = await reads.FailureGroupsAsync(ct);
            var views = await reads.FailedViewsAsync(reason, body_part, 200, ct);
            var queues = errors.Available ? (await status.ReadAsync(ct)).Queues.Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)).ToList() : null;
            var studies = await reads.FailedStudiesAsync(100, ct);
            return Html(Page(http, "Failures", FailuresBody(http, groups, views, studies, queues, reason, body_part, done)));
        }).RequireAuthorization(op);
        app.MapPost("/failures/retry", async (HttpContext http, ConsoleReads reads, StudyStore store, AuditLog audit, [FromForm] string? views, CancellationToken ct) =>
        {
            var ids = (views ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Guid.TryParse(v, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).Distinct().Take(1000).ToList();
            var reopened = await RetryAsync(http, reads, store, audit, ids, "failures page", ct);
            return Results.Redirect($"/failures?done={Uri.EscapeDataString($"{reopened} of {ids.Count} views sent to be scored again")}");
        }).RequireAuthorization(op);
        app.MapPost("/failures/replay", async (HttpContext http, ConsoleReads reads, StudyStore store, AuditLog audit, ErrorQueues errors, [FromForm] string? queue, [FromForm] int? count, CancellationToken ct) =>
        {
            if (!errors.Available || queue is null || !queue.EndsWith("_error", StringComparison.Ordinal))
            {
                return Results.Redirect("/failures?done=" + Uri.EscapeDataString("nothing to replay: no broker, or not an error queue"));
            }

            IReadOnlyList<Guid> ids;
            try
            {
                ids = await errors.TakeViewIdsAsync(queue, Math.Clamp(count ?? 1, 1, 10_000), ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or FormatException or System.Text.Json.JsonException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                return Results.Redirect("/failures?done=" + Uri.EscapeDataString(Secrets.Mask($"nothing replayed: the broker's management API did not answer ({ex.Message})")));
            }

            var reopened = await RetryAsync(http, reads, store, audit, ids, $"replayed from {queue}", ct);
            await audit.RecordAsync(http.Actor().Did("queue.replay", queue, $"{ids.Count} messages taken, {reopened} views re-opened"), ct);
            return Results.Redirect($"/failures?done={Uri.EscapeDataString($"{ids.Count} messages taken off {queue}; {reopened} views sent to be scored again")}");
        }).RequireAuthorization(op);

        app.MapGet("/models", async (HttpContext http, ModelRegistry registry, ConsoleReads reads, CancellationToken ct) =>
        {
            var models = await registry.ListAsync(ct);
            var activations = await reads.ModelActivationsAsync(ct);
            return Html(Page(http, "Models", ModelsBody(http, models, activations)));
        }).RequireAuthorization(op);
        app.MapGet("/models/{sha256}/activate", async (HttpContext http, ModelRegistry registry, string sha256, CancellationToken ct) =>
        {
            var model = (await registry.ListAsync(ct)).FirstOrDefault(m => m.Sha256 == sha256);
            return model is null
                ? Html(Page(http, "No such model", "<h1>No such model</h1>"), StatusCodes.Status404NotFound)
                : Html(Page(http, "Activate a model", $"""
                    <h1>Activate model {Enc(model.Name)}?</h1>
                    <p>SHA-256 <code>{Enc(model.Sha256)}</code> ({Enc(model.Contract)} contract), added {model.AddedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.
                    Every inference worker switches to it at its next batch; studies already scored keep their scores and the version that made them.</p>
                    <form method="post" action="/models/{Enc(model.Sha256)}/activate">{AntiforgeryField(http)}
                    <button type="submit" class="bad">Yes, activate it</button> <a href="/models">Cancel</a></form>
                    """));
        }).RequireAuthorization(ConsoleSecurity.Policy(AccessRole.Admin));
        app.MapPost("/models/{sha256}/activate", async (HttpContext http, ModelRegistry registry, string sha256, CancellationToken ct) =>
        {
            try
            {
                await registry.ActivateAsync(sha256, http.Actor(), ct);
            }
            catch (InvalidDataException ex)
            {
                // A version that is not registered (a stale link, a typed URL): found by HttpFuzzTests as a 500.
                return Html(Page(http, "No such model", $"<h1>No such model</h1><p>{Enc(ex.Message)}</p>"), StatusCodes.Status404NotFound);
            }

            return Results.Redirect("/models");
        }).RequireAuthorization(ConsoleSecurity.Policy(AccessRole.Admin));

        app.MapGet("/exports", async (HttpContext http, ConsoleReads reads, CancellationToken ct) =>
            Html(Page(http, "Exports", ExportsBody(await reads.ExportRunsAsync(200, ct))))).RequireAuthorization(op);

        app.MapGet("/audit", async (HttpContext http, AuditLog audit, long? before, string? action, string? actor, CancellationToken ct) =>
        {
            var events = await audit.ListAsync(101, before, action, actor, ct);
            return Html(Page(http, "Audit trail", AuditBody(events, action, actor)));
        }).RequireAuthorization(op);
        return app;
    }

    /// <summary>Retries views through the database, auditing each one that re-opened; returns how many did.</summary>
    private static async Task<int> RetryAsync(HttpContext http, ConsoleReads reads, StudyStore store, AuditLog audit, IReadOnlyList<Guid> ids, string how, CancellationToken ct)
    {
        var reopened = 0;
        foreach (var id in ids)
        {
            var outcome = await store.RetryViewAsync(id, ct);
            var sop = await reads.SopInstanceUidAsync(id, ct);
            if (sop is null)
            {
                continue;
            }

            if (outcome is RetryOutcome.Reopened or RetryOutcome.ReadAgain)
            {
                reopened++;
            }

            await audit.RecordAsync(http.Actor().Did("view.retry", sop, $"{how}: {outcome switch
            {
                RetryOutcome.Reopened => "re-opened for scoring",
                RetryOutcome.NotFailed => "not failed, nothing changed",
                RetryOutcome.ReadAgain => "failed at ingest: its file goes back into the watched folder to be read again",
                _ => "unknown",
            }}", outcome is RetryOutcome.Reopened or RetryOutcome.ReadAgain), ct);
        }

        return reopened;
    }

    private const string OverviewBody = """
        <h1>Overview</h1>
        <div id="overview" data-source="/api/overview" class="overview">
          <p class="error" role="alert" id="storage-low" data-field="status.storage.low" data-empty=""></p>
          <section class="cards">
            <div class="card"><h2>Studies</h2><dl>
              <dt>received</dt><dd data-field="status.studies.received">…</dd><dt>queued</dt><dd data-field="status.studies.queued">…</dd>
              <dt>scored</dt><dd data-field="status.studies.scored">…</dd><dt>failed</dt><dd data-field="status.studies.failed">…</dd>
              <dt><a href="/worklist?state=out_of_scope" title="studies of a part the model never learned, set aside unscored">out of scope</a></dt><dd data-field="status.studies.out_of_scope">…</dd></dl></div>
            <div class="card"><h2>Views</h2><dl>
              <dt>received</dt><dd data-field="status.views.received">…</dd><dt>queued</dt><dd data-field="status.views.queued">…</dd>
              <dt>scored</dt><dd data-field="status.views.scored">…</dd><dt>failed</dt><dd data-field="status.views.failed">…</dd></dl></div>
            <div class="card"><h2>Rate</h2><dl><dt>views scored per minute (5 min)</dt><dd data-field="status.scored_per_minute">…</dd>
              <dt>oldest waiting study</dt><dd data-field="status.oldest_waiting.study_instance_uid" data-empty="none">…</dd>
              <dt>waiting for (s)</dt><dd data-field="status.oldest_waiting.age_seconds" data-empty="–">…</dd></dl></div>
            <div class="card"><h2>Stored per view (bytes)</h2><dl>
              <dt>archive</dt><dd data-field="status.storage.bytes_per_view.archive" data-empty="–">…</dd>
              <dt>derivatives</dt><dd data-field="status.storage.bytes_per_view.derivatives">…</dd>
              <dt>heatmaps</dt><dd data-field="status.storage.bytes_per_view.heatmaps">…</dd>
              <dt>result objects</dt><dd data-field="status.storage.bytes_per_view.result_objects">…</dd>
              <dt>database</dt><dd data-field="status.storage.bytes_per_view.database">…</dd></dl></div>
          </section>
          <h2>Views scored per minute, last hour</h2>
          <svg id="rate-chart" class="chart" viewBox="0 0 600 120" preserveAspectRatio="none" role="img" aria-label="views scored per minute over the last hour"></svg>
          <h2>Queues <span class="muted" data-field="status.broker"></span></h2>
          <p class="error" data-field="status.broker_error" data-empty=""></p>
          <table class="grid" id="queues"><thead><tr><th>queue</th><th>ready</th><th>unacked</th><th>consumers</th></tr></thead><tbody></tbody></table>
          <h2>Replicas</h2>
          <table class="grid" id="replicas"><thead><tr><th>replica</th><th>roles</th><th>model</th><th>last batch (UTC)</th><th>batches</th><th>last seen (UTC)</th></tr></thead><tbody></tbody></table>
          <h2>Last export runs</h2>
          <table class="grid" id="exports"><thead><tr><th>run</th><th>status</th><th>trigger</th><th>started (UTC)</th><th>studies</th><th>training</th></tr></thead><tbody></tbody></table>
          <p class="muted">Refreshed every 3 seconds; <span data-field="updated"></span></p>
        </div>
        """;

    private static string FailuresBody(HttpContext http, IReadOnlyList<FailureGroup> groups, IReadOnlyList<FailedView> views, IReadOnlyList<(string StudyInstanceUid, string? BodyPart, int Views, DateTimeOffset At, string Reasons)> studies, IReadOnlyList<QueueStatus>? queues, string? reason, string? bodyPart, string? done)
    {
        var st = new StringBuilder();
        foreach (var x in studies)
        {
            st.Append(CultureInfo.InvariantCulture, $"<tr><td>{x.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td><a href=\"/studies/{Enc(Uri.EscapeDataString(x.StudyInstanceUid))}\"><code>{Enc(x.StudyInstanceUid)}</code></a></td><td>{Enc(x.BodyPart ?? "–")}</td><td class=\"num\">{x.Views}</td><td>{Enc(x.Reasons)}</td></tr>");
        }

        var g = new StringBuilder();
        foreach (var x in groups)
        {
            g.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{x.Views}</td><td><a href=\"/failures?reason={Enc(Uri.EscapeDataString(x.Reason))}\">{Enc(x.Reason)}</a></td></tr>");
        }

        var v = new StringBuilder();
        foreach (var x in views)
        {
            var retry = $"<form method=\"post\" action=\"/failures/retry\">{AntiforgeryField(http)}<input type=\"hidden\" name=\"views\" value=\"{x.ViewId}\"><button type=\"submit\" class=\"small\" title=\"{(x.Retryable ? "score its stored derivative again" : Enc($"read {x.SourcePath} again (fix it first)"))}\">{(x.Retryable ? "Retry" : "Read again")}</button></form>";
            v.Append(CultureInfo.InvariantCulture, $"""
                <tr data-sop="{Enc(x.SopInstanceUid)}"><td>{x.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td><a href="/studies/{Enc(Uri.EscapeDataString(x.StudyInstanceUid))}"><code>{Enc(x.SopInstanceUid)}</code></a></td>
                <td>{Enc(x.BodyPart ?? "–")}</td><td>{Enc(x.Reason)}</td><td>{retry}</td></tr>
                """);
        }

        var retryAll = views.Count > 0
            ? $"<form method=\"post\" action=\"/failures/retry\">{AntiforgeryField(http)}<input type=\"hidden\" name=\"views\" value=\"{string.Join(',', views.Select(x => x.ViewId))}\"><button type=\"submit\">Retry all {views.Count} shown</button></form>"
            : string.Empty;
        var q = new StringBuilder();
        if (queues is null)
        {
            q.Append("<p class=\"muted\">Embedded mode: messages that kept failing stay inside the process; their views are failed above and can be retried.</p>");
        }
        else
        {
            q.Append("<table class=\"grid\"><thead><tr><th>error queue</th><th>messages</th><th></th></tr></thead><tbody>");
            foreach (var x in queues)
            {
                var cls = x.Ready > 0 ? " class=\"alert\"" : string.Empty;
                q.Append(CultureInfo.InvariantCulture, $"""
                    <tr{cls}><td>{Enc(x.Name)}</td><td class="num">{x.Ready}</td><td>
                    <form method="post" action="/failures/replay" class="inline">{AntiforgeryField(http)}<input type="hidden" name="queue" value="{Enc(x.Name)}"><input type="hidden" name="count" value="1"><button type="submit" class="small"{(x.Ready == 0 ? " disabled" : string.Empty)}>Replay one</button></form>
                    <form method="post" action="/failures/replay" class="inline">{AntiforgeryField(http)}<input type="hidden" name="queue" value="{Enc(x.Name)}"><input type="hidden" name="count" value="{Math.Max(1, x.Ready)}"><button type="submit" class="small"{(x.Ready == 0 ? " disabled" : string.Empty)}>Replay all</button></form></td></tr>
                    """);
            }

            q.Append(queues.Count == 0 ? "<tr><td colspan=\"3\">no error queues</td></tr>" : string.Empty).Append("</tbody></table>");
        }

        var parts = string.Concat(new[] { string.Empty }.Concat(StudyTypes.All).Select(p => $"<option value=\"{p}\"{(p == (StudyTypes.Normalise(bodyPart) ?? string.Empty) ? " selected" : string.Empty)}>{(p.Length == 0 ? "any" : p)}</option>"));
        return $"""
            <h1>Failures</h1>
            {(done is null ? string.Empty : $"<p class=\"notice\" role=\"status\">{Enc(done)}</p>")}
            <h2>By reason</h2>
            <table class="grid"><thead><tr><th>views</th><th>reason</th></tr></thead><tbody>{(g.Length == 0 ? "<tr><td colspan=\"2\">No failed views.</td></tr>" : g.ToString())}</tbody></table>
            <h2>Failed views</h2>
            <form class="filters" method="get" action="/failures">
              <label>Reason contains <input name="reason" value="{Enc(reason)}"></label>
              <label>Body part <select name="body_part">{parts}</select></label>
              <button type="submit">Filter</button>
            </form>
            {retryAll}
            <table class="grid" id="failed-views"><thead><tr><th>failed (UTC)</th><th>view</th><th>body part</th><th>reason</th><th></th></tr></thead><tbody>{(v.Length == 0 ? "<tr><td colspan=\"5\">None match.</td></tr>" : v.ToString())}</tbody></table>
            <h2>Failed studies (no view could be scored)</h2>
            <table class="grid" id="failed-studies"><thead><tr><th>failed (UTC)</th><th>study</th><th>body part</th><th>views</th><th>reasons</th></tr></thead><tbody>{(st.Length == 0 ? "<tr><td colspan=\"5\">None.</td></tr>" : st.ToString())}</tbody></table>
            <h2>Error queues</h2>
            {q}
            """;
    }

    private static string ModelsBody(HttpContext http, List<ModelVersion> models, Dictionary<string, AuditEvent> activations)
    {
        var admin = http.User.AccessRole() is { } role && role.Includes(AccessRole.Admin);
        var rows = new StringBuilder();
        foreach (var m in models.OrderByDescending(m => m.AddedAt))
        {
            var by = activations.TryGetValue(m.Sha256, out var e) ? $"{e.At.UtcDateTime:yyyy-MM-dd HH:mm} by {Enc(e.Actor)}" : m.ActivatedAt is { } at ? $"{at.UtcDateTime:yyyy-MM-dd HH:mm}" : "–";
            var action = m.Active ? "<b>active</b>" : admin ? $"<a class=\"button small\" href=\"/models/{Enc(m.Sha256)}/activate\">Activate…</a>" : string.Empty;
            rows.Append(CultureInfo.InvariantCulture, $"<tr><td>{action}</td><td><code title=\"{Enc(m.Sha256)}\">{Enc(m.Sha256[..Math.Min(16, m.Sha256.Length)])}</code></td><td>{Enc(m.Name)}</td><td>{Enc(m.Contract)}</td><td>{m.AddedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{by}</td><td>{Enc(ModelRegistry.FormatThresholds(m.Thresholds))}</td></tr>");
        }

        return $"""
            <h1>Models</h1>
            <table class="grid"><thead><tr><th></th><th>SHA-256</th><th>name</th><th>contract</th><th>added (UTC)</th><th>last activated (UTC)</th><th>thresholds</th></tr></thead>
            <tbody>{(rows.Length == 0 ? "<tr><td colspan=\"7\">No model registered (`mura models add FILE`).</td></tr>" : rows.ToString())}</tbody></table>
            """;
    }

    private static string ExportsBody(List<ExportRun> runs)
    {
        var rows = new StringBuilder();
        foreach (var r in runs)
        {
            rows.Append(CultureInfo.InvariantCulture, $"""
                <tr><td class="num">{r.Id}</td><td>{Enc(r.Status.ToString().ToLowerInvariant())}</td><td>{Enc(r.Trigger)}</td><td>{r.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{(r.EndedAt is { } e ? e.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "–")}</td>
                <td class="num">{r.Studies}</td><td class="num">{r.Images}</td><td class="num">{r.Skipped}</td><td>{Enc(r.TrainingStatus ?? "–")}</td><td>{Enc(r.TrainingDetail ?? r.Error ?? string.Empty)}</td></tr>
                """);
        }

        return $"""
            <h1>Export runs</h1>
            <table class="grid"><thead><tr><th>run</th><th>status</th><th>trigger</th><th>started (UTC)</th><th>ended</th><th>studies</th><th>images</th><th>skipped</th><th>training</th><th>gate (kappas) or error</th></tr></thead>
            <tbody>{(rows.Length == 0 ? "<tr><td colspan=\"10\">No export has run yet.</td></tr>" : rows.ToString())}</tbody></table>
            """;
    }

    private static string AuditBody(List<AuditEvent> events, string? action, string? actor)
    {
        var rows = new StringBuilder();
        foreach (var e in events.Take(100))
        {
            rows.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(e.Succeeded ? string.Empty : "alert")}\"><td>{e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{Enc(e.Action)}</td><td>{Enc(e.Actor)}</td><td>{Enc(e.Address)}</td><td>{Enc(e.Target)}</td><td>{Enc(e.Detail)}</td><td>{(e.Succeeded ? "yes" : "no")}</td></tr>");
        }

        var more = events.Count > 100
            ? $"<a class=\"button\" rel=\"next\" href=\"/audit?before={events[99].Id}{(action is null ? string.Empty : "&action=" + Uri.EscapeDataString(action))}{(actor is null ? string.Empty : "&actor=" + Uri.EscapeDataString(actor))}\">Older</a>"
            : string.Empty;
        return $"""
            <h1>Audit trail</h1>
            <form class="filters" method="get" action="/audit"><label>Action <input name="action" value="{Enc(action)}" placeholder="signin, verdict.add …"></label><label>Who <input name="actor" value="{Enc(actor)}"></label><button type="submit">Filter</button></form>
            <table class="grid"><thead><tr><th>when (UTC)</th><th>action</th><th>who</th><th>from</th><th>on</th><th>detail</th><th>succeeded</th></tr></thead><tbody>{(rows.Length == 0 ? "<tr><td colspan=\"7\">Nothing recorded.</td></tr>" : rows.ToString())}</tbody></table>
            <p class="pager">{more}</p>
            """;
    }
}
