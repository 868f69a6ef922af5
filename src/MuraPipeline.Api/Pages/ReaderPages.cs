using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Api.Access;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using static MuraPipeline.Api.Access.ConsolePages;

namespace MuraPipeline.Api.Pages;

/// <summary>The readers' pages: the worklist (filters, keyset pages) and the study viewer (heatmaps, verdicts).</summary>
public static class ReaderPages
{
    public static IEndpointRouteBuilder MapReaderPages(this IEndpointRouteBuilder app)
    {
        var reader = ConsoleSecurity.Policy(AccessRole.Reader);
        app.MapGet("/worklist", async (HttpContext http, ConsoleReads reads, CancellationToken ct) =>
        {
            var f = Filter(http.Request.Query);
            if (!ConsoleReads.ValidCursor(f))
            {
                return Html(Page(http, "Bad page link", "<h1>Bad page link</h1><p class=\"error\">The <code>after</code> value is not one a worklist page gave. <a href=\"/worklist\">Start from the first page</a>.</p>"), StatusCodes.Status400BadRequest);
            }

            var page = await reads.WorklistAsync(f, ct);
            return Html(Page(http, "Worklist", WorklistBody(http, f, page)));
        }).RequireAuthorization(reader);
        app.MapGet("/studies/{studyInstanceUid}", async (HttpContext http, ConsoleReads reads, string studyInstanceUid, CancellationToken ct) =>
            await reads.StudyAsync(studyInstanceUid, ct) is { } detail
                ? Html(Page(http, $"Study {detail.Study.StudyInstanceUid}", StudyBody(http, detail)))
                : Html(Page(http, "No such study", $"<h1>No such study</h1><p>{Enc(studyInstanceUid)} is not in the database.</p>"), StatusCodes.Status404NotFound))
            .RequireAuthorization(reader);
        app.MapPost("/studies/{studyInstanceUid}/verdict", async (HttpContext http, MuraDbContext db, GroundTruthStore store, AuditLog audit, ConsoleReads reads, string studyInstanceUid, [FromForm] string? verdict, [FromForm] string? next, CancellationToken ct) =>
        {
            var abnormal = verdict switch { "abnormal" => true, "normal" => false, _ => (bool?)null };
            var recorded = await Verdicts.RecordAsync(http, db, store, audit, studyInstanceUid, new VerdictRequest(abnormal, null, null, null), ct);
            if (recorded.Problem is { } problem)
            {
                return Html(Page(http, "Verdict refused", $"<h1>Verdict refused</h1><p class=\"error\">{Enc(problem)}</p><p><a href=\"/studies/{Enc(Uri.EscapeDataString(studyInstanceUid))}\">Back to the study</a></p>"), recorded.UnknownStudy ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest);
            }

            var target = next == "1" && (await reads.StudyAsync(studyInstanceUid, ct))?.Next is { } following ? following : studyInstanceUid;
            return Results.Redirect($"/studies/{Uri.EscapeDataString(target)}");
        }).RequireAuthorization(reader);
        return app;
    }

    private static WorklistFilter Filter(IQueryCollection q)
    {
        static bool? YesNo(string? v) => v switch { "yes" => true, "no" => false, _ => null };
        static DateOnly? Day(string? v) => DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
        var state = q["state"].ToString();
        return new WorklistFilter(
            BodyPart: NullIfEmpty(q["body_part"]),
            State: ConsoleReads.States.Contains(state) ? state : "scored",
            Abnormal: YesNo(q["abnormal"]),
            From: Day(q["from"]),
            To: Day(q["to"]),
            Model: NullIfEmpty(q["model"]),
            HasVerdict: YesNo(q["verdict"]),
            Mismatch: q["mismatch"] == "yes",
            After: NullIfEmpty(q["after"]),
            Size: int.TryParse(q["size"], CultureInfo.InvariantCulture, out var size) ? size : 50);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static string WorklistBody(HttpContext http, WorklistFilter f, WorklistPage page)
    {
        static string Options(IEnumerable<(string Value, string Label)> options, string? selected) =>
            string.Concat(options.Select(o => $"<option value=\"{Enc(o.Value)}\"{(o.Value == (selected ?? string.Empty) ? " selected" : string.Empty)}>{Enc(o.Label)}</option>"));
        static string YesNoAny(bool? v) => v switch { true => "yes", false => "no", _ => string.Empty };
        var parts = new[] { (string.Empty, "any") }.Concat(StudyTypes.All.Select(p => (p, p)));
        var yesNo = new[] { (string.Empty, "any"), ("yes", "yes"), ("no", "no") };
        var rows = new StringBuilder();
        foreach (var r in page.Rows)
        {
            var href = $"/studies/{Uri.EscapeDataString(r.StudyInstanceUid)}";
            rows.Append(CultureInfo.InvariantCulture, $"""
                <tr data-study="{Enc(r.StudyInstanceUid)}"><td class="num">{(r.Score is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) : "–")}</td>
                <td>{(r.Abnormal is true ? "<span class=\"flag bad\">abnormal</span>" : r.Abnormal is false ? "<span class=\"flag ok\">normal</span>" : "–")}</td>
                <td>{TypeCell(r.BodyPart, r.BodyPartSource, r.OutOfScope)}</td><td class="num">{r.Views}{(r.FailedViews > 0 ? $" ({r.FailedViews} failed)" : string.Empty)}</td>
                <td>{r.ReceivedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td><code>{Enc(r.Model is null ? "–" : r.Model[..Math.Min(12, r.Model.Length)])}</code></td>
                <td>{(r.Verdict is true ? "abnormal" : r.Verdict is false ? "normal" : "–")}</td><td>{(r.Mismatch ? "<span class=\"flag warn\" title=\"the model sees another body part than the tags say\">mismatch</span>" : string.Empty)}</td>
                <td><a href="{Enc(href)}">open</a></td></tr>
                """);
        }

        var nextLink = page.Next is null ? string.Empty : $"<a class=\"button\" rel=\"next\" href=\"{Enc(QueryWith(http.Request.Query, "after", page.Next))}\">Next page</a>";
        return $"""
            <h1>Worklist</h1>
            <form class="filters" method="get" action="/worklist">
              <label>State <select name="state">{Options(ConsoleReads.States.Select(s => (s, s)), f.State)}</select></label>
              <label>Body part <select name="body_part">{Options(parts, StudyTypes.Normalise(f.BodyPart))}</select></label>
              <label>Abnormal <select name="abnormal">{Options(yesNo, YesNoAny(f.Abnormal))}</select></label>
              <label>Received from <input type="date" name="from" value="{f.From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"></label>
              <label>to <input type="date" name="to" value="{f.To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"></label>
              <label>Model <input name="model" size="12" placeholder="SHA-256 prefix" value="{Enc(f.Model)}"></label>
              <label>Has verdict <select name="verdict">{Options(yesNo, YesNoAny(f.HasVerdict))}</select></label>
              <label><input type="checkbox" name="mismatch" value="yes"{(f.Mismatch ? " checked" : string.Empty)}> body-part mismatch only</label>
              <button type="submit">Filter</button>
            </form>
            <table class="grid worklist"><thead><tr><th>score</th><th>flag</th><th>body part</th><th>views</th><th>received (UTC)</th><th>model</th><th>verdict</th><th></th><th></th></tr></thead>
            <tbody>{(rows.Length == 0 ? "<tr><td colspan=\"9\">No studies match.</td></tr>" : rows.ToString())}</tbody></table>
            <p class="pager">{nextLink}</p>
            """;
    }

    /// <summary>
    /// A study's type and where it came from; a type the model alone gave is flagged, since the call then rests on the
    /// model's own reading of the images, and a study set aside shows why.
    /// </summary>
    private static string TypeCell(string? bodyPart, string? source, string? outOfScope)
    {
        if (outOfScope is not null)
        {
            return $"<span class=\"flag warn\" data-field=\"out-of-scope\">out of scope</span> <small>{Enc(outOfScope)}</small>";
        }

        if (bodyPart is null)
        {
            return "–";
        }

        return source switch
        {
            StudyTypeCall.Model => $"{Enc(bodyPart)} <span class=\"flag warn\" data-field=\"type-source\" title=\"no header named the body part: the type is the model's own reading of the views\">from the model</span>",
            null => Enc(bodyPart),
            _ => $"{Enc(bodyPart)} <small class=\"muted\" data-field=\"type-source\">from {Enc(source == StudyTypeCall.Dicom ? "BodyPartExamined" : source)}</small>",
        };
    }

    private static string QueryWith(IQueryCollection q, string key, string value)
    {
        var pairs = q.Where(kv => kv.Key != key).SelectMany(kv => kv.Value.Select(v => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(v ?? string.Empty)}"))
            .Append($"{Uri.EscapeDataString(key)}={Uri.EscapeDataString(value)}");
        return "/worklist?" + string.Join('&', pairs);
    }

    private static string StudyBody(HttpContext http, StudyDetail d)
    {
        var s = d.Study;
        var views = new StringBuilder();
        foreach (var v in d.Views)
        {
            var sop = Uri.EscapeDataString(v.SopInstanceUid);
            var picture = v.HasImage
                ? $"""
                  <div class="picture"><img class="base" alt="view {Enc(v.SopInstanceUid)}" src="/api/views/{sop}/image.png?size=1024">{(v.HasHeatmap ? $"<img class=\"heat\" alt=\"heatmap of view {Enc(v.SopInstanceUid)}\" src=\"/api/views/{sop}/cam.png?size=1024\">" : string.Empty)}</div>
                  """
                : "<div class=\"picture missing\">no image stored</div>";
            views.Append(CultureInfo.InvariantCulture, $"""
                <figure class="view" data-sop="{Enc(v.SopInstanceUid)}">{picture}
                <figcaption><b>{(v.Probability is { } p ? p.ToString("0.000", CultureInfo.InvariantCulture) : "–")}</b> {Enc(v.ViewPosition ?? string.Empty)} · {Enc(v.State)}
                {(v.PredictedBodyPart is { } part ? $" · model sees {Enc(part)}" : string.Empty)}{(v.Mismatch is true ? " <span class=\"flag warn\">body-part mismatch</span>" : string.Empty)}
                {(v.Error is { } e ? $"<br><span class=\"error\">{Enc(e)}</span>" : string.Empty)}</figcaption></figure>
                """);
        }

        var history = new StringBuilder();
        foreach (var v in d.Verdicts)
        {
            history.Append(CultureInfo.InvariantCulture, $"<tr><td>{v.RecordedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{(v.Abnormal ? "abnormal" : "normal")}</td><td>{Enc(v.Reader)}</td><td>{Enc(v.Source)}</td></tr>");
        }

        var audit = new StringBuilder();
        foreach (var e in d.Audit)
        {
            audit.Append(CultureInfo.InvariantCulture, $"<tr><td>{e.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{Enc(e.Action)}</td><td>{Enc(e.Actor)}</td><td>{Enc(e.Address)}</td><td>{Enc(e.Detail)}</td></tr>");
        }

        var latest = d.Verdicts.Count > 0 ? (d.Verdicts[0].Abnormal ? "abnormal" : "normal") + " by " + d.Verdicts[0].Reader : "none yet";
        var flag = s.Abnormal is true ? "<span class=\"flag bad\">abnormal</span>" : s.Abnormal is false ? "<span class=\"flag ok\">normal</span>" : string.Empty;
        var verdictForm = $"""
            <form id="verdict" class="verdict" method="post" action="/studies/{Enc(Uri.EscapeDataString(s.StudyInstanceUid))}/verdict">{AntiforgeryField(http)}
              <input type="hidden" name="next" value="0">
              <button type="submit" name="verdict" value="abnormal" data-key="a" class="bad">Abnormal <kbd>A</kbd></button>
              <button type="submit" name="verdict" value="normal" data-key="n" class="ok">Normal <kbd>N</kbd></button>
              <label><input type="checkbox" id="then-next"{(d.Next is null ? " disabled" : string.Empty)}> then the next study</label>
              {(d.Next is { } next ? $"<a id=\"next-study\" data-key=\"j\" href=\"/studies/{Enc(Uri.EscapeDataString(next))}\">Next study <kbd>J</kbd></a>" : "<span class=\"muted\">last study of the worklist</span>")}
            </form>
            """;
        return $"""
            <h1>Study <code>{Enc(s.StudyInstanceUid)}</code> {flag}</h1>
            <p class="facts">Score <b id="study-score">{(s.Score is { } sc ? sc.ToString("0.000", CultureInfo.InvariantCulture) : "–")}</b>
            {(d.Threshold is { } t ? $" · threshold <b>{t.ToString("0.000", CultureInfo.InvariantCulture)}</b>" : string.Empty)}
            · {(s.BodyPart is null && s.OutOfScopeReason is null ? "body part unknown" : TypeCell(s.BodyPart, s.BodyPartSource, s.OutOfScopeReason))} · {s.ViewCount} views · state {Enc(s.State.ToString().ToLowerInvariant())}
            · model <code>{Enc(s.ModelSha256 is null ? "–" : s.ModelSha256[..Math.Min(12, s.ModelSha256.Length)])}</code> · latest verdict: <b id="latest-verdict">{Enc(latest)}</b></p>
            {verdictForm}
            <div class="viewer-controls">
              <label><input type="checkbox" id="heat-toggle" checked> heatmap <kbd>H</kbd></label>
              <label>opacity <input type="range" id="heat-opacity" min="0" max="100" value="45"></label>
              <label>zoom <input type="range" id="zoom" min="100" max="400" step="25" value="100"></label>
            </div>
            <div class="views">{views}</div>
            <h2>Verdicts</h2>
            <table class="grid"><thead><tr><th>recorded (UTC)</th><th>verdict</th><th>reader</th><th>source</th></tr></thead><tbody>{(history.Length == 0 ? "<tr><td colspan=\"4\">none</td></tr>" : history.ToString())}</tbody></table>
            <h2>Audit trail</h2>
            <table class="grid"><thead><tr><th>when (UTC)</th><th>what</th><th>who</th><th>from</th><th>detail</th></tr></thead><tbody>{(audit.Length == 0 ? "<tr><td colspan=\"5\">none</td></tr>" : audit.ToString())}</tbody></table>
            """;
    }
}
