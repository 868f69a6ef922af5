using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Api.Access;
using MuraPipeline.Hosting;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Api.Tests;

/// <summary>
/// Sign-in and roles on a real `serve --roles api` host (Kestrel on a loopback port, an embedded database): every route
/// but health and the sign-in form is closed to a request without credentials, roles are enforced, keys and sessions
/// can be taken back, forms need their antiforgery token, and secrets are stored only as hashes.
/// </summary>
public sealed partial class ConsoleAccessTests : IAsyncLifetime
{
    private const string AdminPassword = "correct horse battery";
    private const string ReaderPassword = "reader's long password";
    private const string PseudonymKey = "the pseudonym key of this test";
    private readonly string _dir = Peers.TempDir();
    private IHost _host = null!;
    private Uri _base = null!;

    private string Db => Path.Combine(_dir, "mura.db");

    public async Task InitializeAsync()
    {
        _host = ServiceHost.Build(Roles.Parse("api"), new Dictionary<string, string?> { ["Database:SqliteFile"] = Db, ["urls"] = "http://127.0.0.1:0", ["Metrics:AllowFrom"] = "192.0.2.0/24", ["Export:PseudonymKey"] = PseudonymKey, ["RabbitMq:ManagementUrl"] = "http://monitor:hunter2-secret@mq.example:15672/", ["Database:Note"] = "Host=db;Password=pg-secret;Username=mura", ["Database:Spaced"] = "http://monitor:hunter 2-spaced@mq.example:15672/", ["Database:Escaped"] = "http://monitor:hunt%65r3-escaped@mq.example:15672/", ["Database:Quoted"] = "Host=db;Password=\"pg;quoted-secret\";Username=mura", ["Database:Single"] = "Host=db; PWD = 'x;single-secret' ;Username=mura", ["Database:At"] = "amqp://u:p@ss-at-secret@mq.example/" });
        await ServiceHost.EnsureSchemaAsync(_host.Services, default);
        await _host.StartAsync();
        _base = new Uri(_host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Every_route_but_health_and_sign_in_refuses_a_request_without_credentials()
    {
        var endpoints = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var open = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(Describe).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["* /alive", "* /health", "GET /assets/console.css", "GET /assets/console.js", "GET /login", "GET /metrics", "POST /login"], open);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _base };
        var closed = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null).ToList();
        Assert.Contains(closed, e => Describe(e) == "GET /api/status");
        foreach (var endpoint in closed)
        {
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"])
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(endpoint));
                if (method != "GET")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await http.SendAsync(request);
                AssertHeaderPolicy(response);
                if (endpoint.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {request.RequestUri}: {response.StatusCode}");
                }
                else
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Redirect && new Uri(_base, response.Headers.Location!).AbsolutePath == "/login", $"{method} {request.RequestUri}: {response.StatusCode} {response.Headers.Location}");
                }
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/alive", UriKind.Relative))).StatusCode);
        foreach (var path in new[] { "/alive", "/health", "/login", "/assets/console.css", "/assets/console.js", "/metrics", "/no-such-page", "/api/no-such-route" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            AssertHeaderPolicy(response);
        }

        // Every route that needs more than a reader refuses a reader's key with 403, and an operator's where it needs an admin.
        var readerKey = await KeyAsync("route-reader", AccessRole.Reader);
        var operatorKey = await KeyAsync("route-operator", AccessRole.Operator);

        var refused = 0;
        foreach (var endpoint in closed)
        {
            var needs = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).Select(p => AccessRoles.Parse(p!)).DefaultIfEmpty(AccessRole.Reader).Max();
            foreach (var (key, held) in new[] { (readerKey, AccessRole.Reader), (operatorKey, AccessRole.Operator) })
            {
                if (held.Includes(needs))
                {
                    continue;
                }

                using var client = Client(key);
                foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(endpoint));
                    if (method != "GET")
                    {
                        // The API takes JSON; the pages take their forms.
                        request.Content = endpoint.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal) ? new StringContent("{}", Encoding.UTF8, "application/json") : Form(("x", "1"));
                    }

                    using var response = await client.SendAsync(request);
                    AssertHeaderPolicy(response);
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{held.Name()} {method} {request.RequestUri}: {response.StatusCode}");
                    refused++;
                }
            }
        }

        Assert.True(refused >= 10, $"only {refused} refusals checked");

        // The settings page shows the settings, never a secret among them.
        using (var settingsClient = Client(await KeyAsync("settings-admin", AccessRole.Admin)))
        {
            var settings = await settingsClient.GetStringAsync(new Uri("/settings", UriKind.Relative));
            Assert.Contains("Metrics:AllowFrom", settings, StringComparison.Ordinal);
            Assert.Contains("monitor:(hidden)@mq.example", settings, StringComparison.Ordinal);
            Assert.Contains("Username=mura", settings, StringComparison.Ordinal);
            Assert.Contains("@mq.example", settings, StringComparison.Ordinal);
            foreach (var secret in new[] { PseudonymKey, "hunter2-secret", "pg-secret", "2-spaced", "hunt%65r3", "hunter3-escaped", "quoted-secret", "single-secret", "ss-at-secret" })
            {
                Assert.DoesNotContain(secret, settings, StringComparison.Ordinal);
            }
        }

        // With the right role every page and GET answers without a server error (404 for the made-up identifiers).
        using var admin = Client(await KeyAsync("route-admin", AccessRole.Admin));
        foreach (var endpoint in closed.Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") ?? true))
        {
            using var response = await admin.GetAsync(new Uri(Concrete(endpoint), UriKind.Relative));
            Assert.True((int)response.StatusCode < 500, $"GET {Concrete(endpoint)}: {response.StatusCode}");
            AssertHeaderPolicy(response);
        }
    }

    [Fact]
    public async Task Keys_carry_their_role_and_a_revoked_key_is_refused()
    {
        var readerKey = await KeyAsync("ris-import", AccessRole.Reader);
        var operatorKey = await KeyAsync("dashboard", AccessRole.Operator);

        using var reader = Client(readerKey);
        using var op = Client(operatorKey);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(new Uri("/api/worklist", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync(new Uri("/api/status", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(new Uri("/api/status", UriKind.Relative))).StatusCode);

        // A key that was never made, and one altered by a character, are unknown.
        using var forged = Client(readerKey[..^1] + (readerKey[^1] == 'A' ? 'B' : 'A'));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync(new Uri("/api/worklist", UriKind.Relative))).StatusCode);

        await using (var scope = _host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccessStore>().RevokeKeyAsync("ris-import", AuditActor.CommandLine, default);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await reader.GetAsync(new Uri("/api/worklist", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync(new Uri("/api/status", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Every_refusal_an_api_client_gets_is_a_problem_document()
    {
        using var anonymous = new HttpClient { BaseAddress = _base };
        using var reader = Client(await KeyAsync("problems", AccessRole.Reader));

        // From authentication and authorization (no body of their own), from routing, and from the endpoints.
        await AssertProblemAsync(await anonymous.GetAsync(new Uri("/api/worklist", UriKind.Relative)), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await reader.GetAsync(new Uri("/api/status", UriKind.Relative)), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await reader.GetAsync(new Uri("/api/no-such-route", UriKind.Relative)), HttpStatusCode.NotFound);
        await AssertProblemAsync(await reader.GetAsync(new Uri("/api/views/1.2.3.4/heatmap.png", UriKind.Relative)), HttpStatusCode.NotFound, "no stored image for view 1.2.3.4");
        await AssertProblemAsync(await reader.PostAsJsonAsync(new Uri("/api/studies/1.2.3/verdicts", UriKind.Relative), new { abnormal = true, reader = "dr-lee" }), HttpStatusCode.NotFound, "no study 1.2.3");
        await AssertProblemAsync(await reader.PostAsJsonAsync(new Uri("/api/studies/1.2.3/verdicts", UriKind.Relative), new { reader = "dr-lee" }), HttpStatusCode.BadRequest, "abnormal (true or false) is required");

        // The documents a client reads keep their shape.
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(await reader.GetStringAsync(new Uri("/api/worklist", UriKind.Relative))).RootElement.ValueKind);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detail = null)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()));
            if (detail is not null)
            {
                Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_browser_signs_in_with_the_form_its_posts_need_the_token_and_a_disabled_user_is_signed_out()
    {
        await AddUserAsync("dr-lee", AccessRole.Reader, ReaderPassword);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _base };

        // A page without a session goes to the sign-in form, which carries an antiforgery token.
        var start = await browser.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var form = await browser.GetStringAsync(new Uri("/login?returnUrl=%2F", UriKind.Relative));
        var token = FormToken().Match(form).Groups[1].Value;
        Assert.NotEmpty(token);

        // The form posted without its token is refused, whatever the password.
        using (var noToken = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("username", "dr-lee"), ("password", ReaderPassword))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        }

        using (var wrong = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-lee"), ("password", "not the password"))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("Wrong user name or password", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var signIn = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-lee"), ("password", ReaderPassword), ("returnUrl", "/"))))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.Equal("/", signIn.Headers.Location!.OriginalString);
            var session = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("mura.session=", StringComparison.Ordinal));
            Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", session, StringComparison.OrdinalIgnoreCase);
        }

        var home = await browser.GetStringAsync(new Uri("/worklist", UriKind.Relative));
        Assert.Contains("dr-lee", home, StringComparison.Ordinal);
        Assert.Equal("/worklist", (await browser.GetAsync(new Uri("/", UriKind.Relative))).Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(new Uri("/api/status", UriKind.Relative))).StatusCode);

        // A verdict from the session: refused without the antiforgery header, recorded under the reader's own name with it.
        var study = await AddStudyAsync();
        using (var bare = await browser.PostAsJsonAsync(new Uri($"/api/studies/{study}/verdicts", UriKind.Relative), new { abnormal = true }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
        }

        var pageToken = MetaToken().Match(home).Groups[1].Value;
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"/api/studies/{study}/verdicts") { Content = JsonContent.Create(new { abnormal = true, reader = "someone-else" }) })
        {
            request.Headers.Add(ConsoleSecurity.AntiforgeryHeader, pageToken);
            using var posted = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        }

        using (var history = JsonDocument.Parse(await browser.GetStringAsync(new Uri($"/api/studies/{study}/verdicts", UriKind.Relative))))
        {
            Assert.Equal(["dr-lee"], history.RootElement.EnumerateArray().Select(v => v.GetProperty("reader").GetString()));
        }

        // Disabling the user ends the session at its next request.
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AccessStore>().DisableUserAsync("dr-lee", AuditActor.CommandLine, default);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync(new Uri("/api/worklist", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(new Uri("/", UriKind.Relative))).StatusCode);

        var actions = await AuditAsync();
        Assert.Contains(("signin", "dr-lee", false), actions);
        Assert.Contains(("signin", "dr-lee", true), actions);
        Assert.Contains(("verdict.add", "dr-lee", true), actions);
        Assert.Contains(("user.disable", AuditActor.CommandLine.Name, true), actions);
    }

    [Fact]
    public async Task Repeated_failed_sign_ins_make_the_next_attempt_wait_even_with_the_right_password()
    {
        await AddUserAsync("dr-kim", AccessRole.Reader, ReaderPassword);
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = _base };
        var token = FormToken().Match(await browser.GetStringAsync(new Uri("/login", UriKind.Relative))).Groups[1].Value;
        for (var i = 0; i < AccessStore.FailuresPerName; i++)
        {
            using var wrong = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-kim"), ("password", $"guess {i}")));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var right = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-kim"), ("password", ReaderPassword)));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.InRange(int.Parse(right.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, (int)AccessStore.FirstCooldown.TotalSeconds);

        // Another user from the same address is not held up by dr-kim's failures.
        await AddUserAsync("dr-ng", AccessRole.Reader, ReaderPassword);
        using var other = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-ng"), ("password", ReaderPassword)));
        Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
    }

    [Fact]
    public async Task Metrics_outside_the_allow_list_need_an_operator_and_promtool_accepts_them()
    {
        var readerKey = await KeyAsync("viewer", AccessRole.Reader);
        var operatorKey = await KeyAsync("prometheus", AccessRole.Operator);

        // This host allows only 192.0.2.0/24 without credentials, so the loopback test client is "outside".
        using var anonymous = new HttpClient { BaseAddress = _base };
        using var reader = Client(readerKey);
        using var op = Client(operatorKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        var text = await op.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("# TYPE mura_views_scored_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE mura_inference_batch_duration_seconds histogram", text, StringComparison.Ordinal);
        var (code, stdout, stderr) = Peers.Run("promtool", ["check", "metrics"], null, null, text);
        Assert.True(code == 0, stdout + stderr);

        var allow = new MetricsOptions { AllowFrom = "10.1.0.0/16, 127.0.0.1" };
        Assert.True(allow.Allows(IPAddress.Parse("10.1.200.3")));
        Assert.True(allow.Allows(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(allow.Allows(IPAddress.Parse("10.2.0.1")));
        Assert.False(allow.Allows(IPAddress.IPv6Loopback));
        Assert.False(allow.Allows(null));
    }

    [Fact]
    public async Task The_cli_makes_users_and_keys_and_the_database_holds_only_their_hashes()
    {
        await _host.StopAsync();
        var (code, _, stderr) = Peers.MuraWithInput(AdminPassword + "\n", _dir, "users", "add", "alice", "--role", "admin", "--db", Db);
        Assert.True(code == 0, stderr);
        (code, _, _) = Peers.MuraWithInput("short\n", _dir, "users", "add", "bob", "--role", "reader", "--db", Db);
        Assert.Equal(ExitCodes.StartFailed, code);
        (code, _, _) = Peers.MuraWithInput(AdminPassword + "\n", _dir, "users", "add", "carol", "--role", "superuser", "--db", Db);
        Assert.Equal(ExitCodes.StartFailed, code);
        (code, var key, stderr) = Peers.MuraWithInput(string.Empty, _dir, "keys", "add", "pacs-bridge", "--role", "operator", "--db", Db);
        Assert.True(code == 0, stderr);
        key = key.Trim();
        Assert.StartsWith("mura_", key, StringComparison.Ordinal);
        (code, var list, _) = Peers.MuraWithInput(string.Empty, _dir, "users", "list", "--db", Db);
        Assert.Equal(0, code);
        Assert.Contains("alice", list, StringComparison.Ordinal);
        Assert.DoesNotContain("bob", list, StringComparison.Ordinal);

        await using var db = Context();
        var user = await db.ConsoleUsers.SingleAsync();
        Assert.Equal((AccessRole.Admin, false), (user.Role, user.Disabled));
        Assert.DoesNotContain(AdminPassword, user.PasswordHash, StringComparison.Ordinal);
        Assert.Equal(1, Convert.FromBase64String(user.PasswordHash)[0]); // ASP.NET Core Identity's v3 format: PBKDF2 with a salt
        var row = await db.ApiKeys.SingleAsync();
        Assert.Equal(AccessStore.HashKey(key), row.Hash);
        Assert.True(key.Length > row.Prefix.Length + 30);
        var everything = string.Join('\n', (await db.ApiKeys.AsNoTracking().ToListAsync()).Select(k => JsonSerializer.Serialize(k)));
        Assert.DoesNotContain(key, everything, StringComparison.Ordinal);
        Assert.Equal(["key.add", "user.add"], (await db.AuditEvents.Select(e => e.Action).ToListAsync()).Order(StringComparer.Ordinal));

        // The trail is append-only in the database itself.
        await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEvents.ExecuteDeleteAsync());
        await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEvents.ExecuteUpdateAsync(s => s.SetProperty(e => e.Actor, "someone")));
        Assert.Equal(2, await db.AuditEvents.CountAsync(e => e.Actor != "someone"));
    }

    /// <summary>
    /// The one header policy, on every answer whatever its route and status: no framing, no sniffing, no referrer, a
    /// content security policy that allows this site only, and nothing kept in a cache but the shipped assets.
    /// </summary>
    internal static void AssertHeaderPolicy(HttpResponseMessage response)
    {
        var what = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery} ({(int)response.StatusCode})";
        string One(string name) =>
            response.Headers.TryGetValues(name, out var v) ? string.Join(", ", v) : response.Content.Headers.TryGetValues(name, out var c) ? string.Join(", ", c) : $"(no {name})";
        var csp = One("Content-Security-Policy");
        Assert.True(csp.Contains("frame-ancestors 'none'", StringComparison.Ordinal) && csp.Contains("default-src 'self'", StringComparison.Ordinal) && !csp.Contains("unsafe", StringComparison.Ordinal), $"{what}: CSP {csp}");
        Assert.True(One("X-Frame-Options") == "DENY", $"{what}: X-Frame-Options {One("X-Frame-Options")}");
        Assert.True(One("X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options {One("X-Content-Type-Options")}");
        Assert.True(One("Referrer-Policy") == "no-referrer", $"{what}: Referrer-Policy {One("Referrer-Policy")}");
        // With nosniff a body is read as what it says it is: every body must say.
        var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        Assert.True(body.Length == 0 || response.Content.Headers.ContentType is not null, $"{what}: a body of {body.Length} bytes with no Content-Type");
        var asset = response.RequestMessage.RequestUri.AbsolutePath.StartsWith("/assets/", StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.OK;
        var cache = response.Headers.CacheControl;
        Assert.True(asset || cache?.NoStore == true, $"{what}: Cache-Control {cache}");
    }

    private static string Describe(RouteEndpoint e) => $"{string.Join(',', e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])} {e.RoutePattern.RawText}";

    private static string Concrete(RouteEndpoint e) => RouteParameter().Replace(e.RoutePattern.RawText!, "1.2.3");

    private HttpClient Client(string key)
    {
        var http = new HttpClient { BaseAddress = _base };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) => new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    private async Task<string> KeyAsync(string name, AccessRole role)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<AccessStore>().AddKeyAsync(name, role, AuditActor.CommandLine, default)).Key;
    }

    private async Task AddUserAsync(string name, AccessRole role, string password)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AccessStore>().AddUserAsync(name, role, password, AuditActor.CommandLine, default);
    }

    private async Task<string> AddStudyAsync()
    {
        await using var db = Context();
        var study = new Study { Id = Guid.NewGuid(), StudyInstanceUid = "1.2.826.0.1.3680043.8.498.77", PatientId = "P1", BodyPart = "WRIST", Source = "dicom", State = StudyState.Scored, Score = 0.7 };
        db.Studies.Add(study);
        await db.SaveChangesAsync();
        return study.StudyInstanceUid;
    }

    private async Task<List<(string Action, string Actor, bool Succeeded)>> AuditAsync()
    {
        await using var db = Context();
        return (await db.AuditEvents.AsNoTracking().ToListAsync()).Select(e => (e.Action, e.Actor, e.Succeeded)).ToList();
    }

    private MuraDbContext Context()
    {
        var options = new DbContextOptionsBuilder<MuraDbContext>();
        options.UseEmbeddedSqlite(Db);
        return new MuraDbContext(options.Options);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex MetaToken();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
