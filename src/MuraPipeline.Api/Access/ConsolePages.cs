using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>
/// The console's server-rendered pages that sign-in needs: the sign-in form, sign-out, the start page and the refusal
/// page; the stylesheet ships inside the assembly (no CDN, hospital networks often have no internet).
/// </summary>
public static class ConsolePages
{
    private static readonly byte[] Stylesheet = ReadAsset("console.css");
    private static readonly byte[] Script = ReadAsset("console.js");

    public static IEndpointRouteBuilder MapConsoleSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/console.css", () => Results.Bytes(Stylesheet, "text/css; charset=utf-8")).AllowAnonymous();
        app.MapGet("/login", async (HttpContext http, AccessStore store, string? returnUrl, CancellationToken ct) =>
            Html(LoginForm(http, returnUrl, error: null, noUsers: !await store.AnyAdminAsync(ct)))).AllowAnonymous();
        app.MapPost("/login", async (HttpContext http, AccessStore store, [FromForm] string? username, [FromForm] string? password, [FromForm] string? returnUrl, CancellationToken ct) =>
        {
            var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var outcome = await store.SignInAsync(username ?? string.Empty, password ?? string.Empty, address, ct);
            if (outcome.User is null)
            {
                if (outcome.RetryAfter is { } wait)
                {
                    http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return Html(LoginForm(http, returnUrl, outcome.Refusal, noUsers: false), outcome.RetryAfter is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status429TooManyRequests);
            }

            var session = await store.StartSessionAsync(outcome.User, address, ct);
            await http.SignInAsync(ConsoleSecurity.CookieScheme, ConsoleSecurity.SessionPrincipal(outcome.User, session), new AuthenticationProperties { IsPersistent = false });
            return Results.Redirect(LocalOrHome(returnUrl));
        }).AllowAnonymous();
        app.MapPost("/logout", async (HttpContext http, AuditLog audit, AccessStore store, CancellationToken ct) =>
        {
            // The session ends on the server: a copy of the cookie taken before opens nothing afterwards.
            if (http.User.FindFirst(ConsoleClaims.Session)?.Value is { } session)
            {
                await store.EndSessionAsync(session, "signed out", ct);
            }

            await audit.RecordAsync(http.Actor().Did("signout", http.User.Identity?.Name), ct);
            await http.SignOutAsync(ConsoleSecurity.CookieScheme);
            return Results.Redirect("/login");
        });
        app.MapGet("/", (HttpContext http) => Results.Redirect(http.User.AccessRole() is { } role && role.Includes(AccessRole.Operator) ? "/overview" : "/worklist"));
        app.MapGet("/assets/console.js", () => Results.Bytes(Script, "text/javascript; charset=utf-8")).AllowAnonymous();
        return app;
    }

    /// <summary>The page a signed-in user sees where their role is not enough.</summary>
    public static string Denied(HttpContext http) => Page(http, "Not allowed", $"""
        <h1>Not allowed</h1>
        <p>This page needs another role than <b>{Enc(http.User.AccessRole()?.Name())}</b>. Ask an admin.</p>
        <p><a href="/">Back to the start page</a></p>
        """);

    private static string LoginForm(HttpContext http, string? returnUrl, string? error, bool noUsers)
    {
        var notice = noUsers
            ? "<p class=\"notice\">No admin user exists yet. On the server, run <code>mura users add NAME --role admin</code>.</p>"
            : string.Empty;
        var problem = error is null ? string.Empty : $"<p class=\"error\" role=\"alert\">{Enc(error)}</p>";
        return Page(http, "Sign in", $"""
            <form class="signin" method="post" action="/login">
              <h1>Sign in to MuraPipeline</h1>
              {notice}{problem}
              {AntiforgeryField(http)}
              <input type="hidden" name="returnUrl" value="{Enc(LocalOrHome(returnUrl))}">
              <label>User name <input name="username" autocomplete="username" required autofocus></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
              <button type="submit">Sign in</button>
            </form>
            """);
    }

    /// <summary>
    /// The layout every console page shares: the stylesheet and script, and for a signed-in user the pages their role
    /// may open, their name and a sign-out button. The antiforgery token rides in a meta tag for the script's posts.
    /// </summary>
    internal static string Page(HttpContext http, string title, string body)
    {
        var signedIn = http.User.Identity?.IsAuthenticated == true && http.User.ViaCookie();
        var header = new StringBuilder();
        var meta = string.Empty;
        if (signedIn)
        {
            var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
            meta = $"<meta name=\"csrf-token\" content=\"{Enc(tokens.RequestToken)}\">";
            var role = http.User.AccessRole() ?? AccessRole.Reader;
            var links = Navigation.Where(n => role.Includes(n.Role)).Select(n =>
                $"<a href=\"{n.Path}\"{(http.Request.Path.StartsWithSegments(n.Path, StringComparison.Ordinal) ? " aria-current=\"page\"" : string.Empty)}>{Enc(n.Title)}</a>");
            header.Append(
                $"""
                <header><a class="brand" href="/">MuraPipeline</a><nav>{string.Concat(links)}</nav><span class="who">{Enc(http.User.Identity!.Name)} ({Enc(role.Name())})</span>
                <form method="post" action="/logout">{AntiforgeryField(http)}<button type="submit">Sign out</button></form></header>
                """);
        }

        return $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{meta}
            <title>{Enc(title)} · MuraPipeline</title><link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script></head>
            <body>{header}<main>{body}</main></body></html>
            """;
    }

    /// <summary>The pages in the header, each shown to the roles that may open it.</summary>
    private static readonly (string Path, string Title, AccessRole Role)[] Navigation =
    [
        ("/overview", "Overview", AccessRole.Operator),
        ("/worklist", "Worklist", AccessRole.Reader),
        ("/failures", "Failures", AccessRole.Operator),
        ("/models", "Models", AccessRole.Operator),
        ("/pacs", "PACS", AccessRole.Operator),
        ("/exports", "Exports", AccessRole.Operator),
        ("/audit", "Audit", AccessRole.Operator),
        ("/admin", "Users and keys", AccessRole.Admin),
        ("/settings", "Settings", AccessRole.Admin),
    ];

    /// <summary>The hidden field a form posts its antiforgery token in.</summary>
    internal static string AntiforgeryField(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{Enc(tokens.FormFieldName)}\" value=\"{Enc(tokens.RequestToken)}\">";
    }

    internal static IResult Html(string html, int status = StatusCodes.Status200OK) => Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);

    /// <summary>
    /// Only a path on this site is followed after sign-in, by ASP.NET Core's own test (no scheme, no <c>~</c>, no <c>//</c> or
    /// <c>/\\</c>, no control character anywhere); what passes is percent-escaped where a header may not carry it.
    /// </summary>
    internal static string LocalOrHome(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/' || url.Length > 2048 || !Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult.IsLocalUrl(url))
        {
            return "/";
        }

        var safe = new StringBuilder(url.Length);
        foreach (var b in Encoding.UTF8.GetBytes(url))
        {
            if (b is > 0x20 and < 0x7F && b != (byte)'"' && b != (byte)'<' && b != (byte)'>' && b != (byte)'\\')
            {
                safe.Append((char)b);
            }
            else
            {
                safe.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return safe.ToString();
    }

    internal static string Enc(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);

    private static byte[] ReadAsset(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"MuraPipeline.Api.Assets.{name}")
            ?? throw new InvalidOperationException($"asset {name} is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
