using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Api.Access;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using static MuraPipeline.Api.Access.ConsolePages;

namespace MuraPipeline.Api.Pages;

/// <summary>The admins' pages: users and API keys (every change audited), and the settings in effect with secrets hidden.</summary>
public static class AdminPages
{
    /// <summary>The configuration sections the settings page shows.</summary>
    private static readonly string[] Sections = ["Ingest", "Inference", "Scp", "Export", "Scheduler", "Messaging", "Console", "Metrics", "Database", "ConnectionStrings", "RabbitMq"];

    public static IEndpointRouteBuilder MapAdminPages(this IEndpointRouteBuilder app)
    {
        var admin = ConsoleSecurity.Policy(AccessRole.Admin);
        app.MapGet("/admin", async (HttpContext http, AccessStore store, string? done, string? key, CancellationToken ct) =>
            Html(Page(http, "Users and keys", Body(http, await store.ListUsersAsync(ct), await store.ListKeysAsync(ct), done, key)))).RequireAuthorization(admin);
        app.MapPost("/admin/users", async (HttpContext http, AccessStore store, [FromForm] string? name, [FromForm] string? role, [FromForm] string? password, CancellationToken ct) =>
            await Guarded(async () =>
            {
                await store.AddUserAsync(name ?? string.Empty, AccessRoles.Parse(role ?? string.Empty), password ?? string.Empty, http.Actor(), ct);
                return $"added user {name}";
            })).RequireAuthorization(admin);
        app.MapPost("/admin/users/{name}/disable", async (HttpContext http, AccessStore store, string name, CancellationToken ct) =>
            await Guarded(async () =>
            {
                await store.DisableUserAsync(name, http.Actor(), ct);
                return $"disabled user {name}";
            })).RequireAuthorization(admin);
        app.MapPost("/admin/users/{name}/password", async (HttpContext http, AccessStore store, string name, [FromForm] string? password, CancellationToken ct) =>
            await Guarded(async () =>
            {
                await store.SetPasswordAsync(name, password ?? string.Empty, http.Actor(), ct);
                return $"password set for {name}";
            })).RequireAuthorization(admin);
        app.MapPost("/admin/keys", async (HttpContext http, AccessStore store, [FromForm] string? name, [FromForm] string? role, CancellationToken ct) =>
        {
            try
            {
                var (row, key) = await store.AddKeyAsync(name ?? string.Empty, AccessRoles.Parse(role ?? string.Empty), http.Actor(), ct);

                // The key is shown once, on this response, never in a URL or a log.
                return Html(Page(http, "Users and keys", Body(http, await store.ListUsersAsync(ct), await store.ListKeysAsync(ct), $"key {row.Name} made; copy it now, it is not shown again", key)));
            }
            catch (Exception ex) when (ex is AccessException or ArgumentException)
            {
                return Results.Redirect("/admin?done=" + Uri.EscapeDataString(ex.Message));
            }
        }).RequireAuthorization(admin);
        app.MapPost("/admin/keys/{name}/revoke", async (HttpContext http, AccessStore store, string name, CancellationToken ct) =>
            await Guarded(async () =>
            {
                await store.RevokeKeyAsync(name, http.Actor(), ct);
                return $"revoked key {name}";
            })).RequireAuthorization(admin);
        app.MapGet("/settings", (HttpContext http, IConfiguration configuration) => Html(Page(http, "Settings", SettingsBody(configuration)))).RequireAuthorization(admin);
        return app;
    }

    private static async Task<IResult> Guarded(Func<Task<string>> work)
    {
        try
        {
            return Results.Redirect("/admin?done=" + Uri.EscapeDataString(await work()));
        }
        catch (Exception ex) when (ex is AccessException or ArgumentException)
        {
            return Results.Redirect("/admin?done=" + Uri.EscapeDataString(ex.Message));
        }
    }

    private const string NamePattern = "[A-Za-z0-9._@-]{1,64}";

    private static string Body(HttpContext http, List<ConsoleUser> users, List<ApiKey> keys, string? done, string? newKey)
    {
        var roles = string.Concat(AccessRoles.All.Select(r => $"<option value=\"{r.Name()}\">{r.Name()}</option>"));
        var u = new StringBuilder();
        foreach (var x in users)
        {
            var path = Uri.EscapeDataString(x.Name);
            u.Append(CultureInfo.InvariantCulture, $"""
                <tr><td>{Enc(x.Name)}</td><td>{x.Role.Name()}</td><td>{(x.Disabled ? "disabled" : "active")}</td><td>{x.ChangedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>
                <form method="post" action="/admin/users/{Enc(path)}/disable" class="inline">{AntiforgeryField(http)}<button type="submit" class="small"{(x.Disabled ? " disabled" : string.Empty)}>Disable</button></form>
                <form method="post" action="/admin/users/{Enc(path)}/password" class="inline">{AntiforgeryField(http)}<input type="password" name="password" placeholder="new password" autocomplete="new-password" minlength="{AccessStore.MinPasswordLength}" required><button type="submit" class="small">Set password</button></form></td></tr>
                """);
        }

        var k = new StringBuilder();
        foreach (var x in keys)
        {
            k.Append(CultureInfo.InvariantCulture, $"""
                <tr><td>{Enc(x.Name)}</td><td>{x.Role.Name()}</td><td><code>{Enc(x.Prefix)}…</code></td><td>{x.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{(x.RevokedAt is { } at ? $"revoked {at.UtcDateTime:yyyy-MM-dd HH:mm}" : "live")}</td><td>
                <form method="post" action="/admin/keys/{Enc(Uri.EscapeDataString(x.Name))}/revoke" class="inline">{AntiforgeryField(http)}<button type="submit" class="small"{(x.RevokedAt is null ? string.Empty : " disabled")}>Revoke</button></form></td></tr>
                """);
        }

        return $"""
            <h1>Users and keys</h1>
            {(done is null ? string.Empty : $"<p class=\"notice\" role=\"status\">{Enc(done)}</p>")}
            {(newKey is null ? string.Empty : $"<p class=\"key\">New key: <code id=\"new-key\">{Enc(newKey)}</code></p>")}
            <h2>Users</h2>
            <table class="grid"><thead><tr><th>name</th><th>role</th><th>state</th><th>changed (UTC)</th><th></th></tr></thead><tbody>{u}</tbody></table>
            <form class="filters" method="post" action="/admin/users">{AntiforgeryField(http)}
              <label>Name <input name="name" required pattern="{NamePattern}"></label><label>Role <select name="role">{roles}</select></label>
              <label>Password <input type="password" name="password" autocomplete="new-password" minlength="{AccessStore.MinPasswordLength}" required></label><button type="submit">Add user</button></form>
            <h2>API keys</h2>
            <table class="grid"><thead><tr><th>name</th><th>role</th><th>starts with</th><th>created (UTC)</th><th>state</th><th></th></tr></thead><tbody>{k}</tbody></table>
            <form class="filters" method="post" action="/admin/keys">{AntiforgeryField(http)}
              <label>Name <input name="name" required pattern="{NamePattern}"></label><label>Role <select name="role">{roles}</select></label><button type="submit">Make a key</button></form>
            """;
    }

    private static string SettingsBody(IConfiguration configuration)
    {
        var rows = new StringBuilder();
        foreach (var section in Sections)
        {
            foreach (var (key, value) in configuration.GetSection(section).AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                rows.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{Enc(key)}</code></td><td>{Enc(Secrets.Setting(key, value))}</td></tr>");
            }
        }

        return $"""
            <h1>Settings in effect</h1>
            <p class="muted">What this api process read (appsettings.json, then the environment, then its options). Secrets are hidden. Change them where they are set, then restart the process.</p>
            <table class="grid"><thead><tr><th>setting</th><th>value</th></tr></thead><tbody>{(rows.Length == 0 ? "<tr><td colspan=\"2\">all defaults</td></tr>" : rows.ToString())}</tbody></table>
            """;
    }
}
