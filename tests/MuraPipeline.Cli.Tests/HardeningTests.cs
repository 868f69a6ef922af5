using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Api.Access;
using MuraPipeline.Cli.Serve;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>
/// The weaknesses an attack on the console found, each tried again the way it was found and in variants, against a
/// real `serve --roles api` host (Kestrel on loopback, clients from other loopback addresses where the address matters).
/// </summary>
public sealed partial class HardeningTests : IAsyncLifetime
{
    private const string Password = "a long enough password";
    private readonly string _dir = Peers.TempDir();
    private IHost _host = null!;
    private Uri _base = null!;

    private string Db => Path.Combine(_dir, "mura.db");

    public Task InitializeAsync() => StartAsync(new Dictionary<string, string?>());

    private async Task StartAsync(Dictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?> { ["Database:SqliteFile"] = Db, ["urls"] = "http://127.0.0.1:0" };
        foreach (var (k, v) in settings)
        {
            all[k] = v;
        }

        _host = ServiceHost.Build(Roles.Parse("api"), all);
        await ServiceHost.EnsureSchemaAsync(_host.Services, default);
        await _host.StartAsync();
        _base = new Uri(_host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private async Task RestartAsync(Dictionary<string, string?> settings)
    {
        await _host.StopAsync();
        _host.Dispose();
        await StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Sign_in_goes_back_only_to_a_path_on_this_site_and_no_return_url_is_a_server_error()
    {
        await AddUserAsync("dr-ray", AccessRole.Reader);
        string[] hostile =
        [
            "/\t/evil.example/x", "/\n/evil.example", "/\r\n/evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
            "https://evil.example/", "HTTPS:evil.example", "javascript:alert(1)", " /evil", "\u0085//evil.example", "~//evil.example", "~/x",
        ];

        // Odd but local: they stay on this host, escaped where a header may not carry them.
        string[] local = ["/worklist", "/studies/1.2.3?x=1", "/é/ünïcode path", "/ /evil.example", "/\u2028/evil.example", "/\u00a0/evil.example"];
        // A NUL anywhere in the form is refused as a bad request, before any password is checked.
        using (var nul = Browser(out _))
        {
            var token = FormToken().Match(await nul.GetStringAsync(new Uri("/login", UriKind.Relative))).Groups[1].Value;
            using var refused = await nul.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-ray"), ("password", Password), ("returnUrl", "/\0/evil.example")));
            Assert.True((int)refused.StatusCode is 302 or 400, $"a NUL in returnUrl: {refused.StatusCode}");
            Assert.True(refused.Headers.Location is null || refused.Headers.Location.OriginalString == "/", $"a NUL in returnUrl went to {refused.Headers.Location}");
        }

        foreach (var url in hostile.Concat(local))
        {
            using var browser = Browser(out _);
            using var form = await browser.GetAsync(new Uri("/login?returnUrl=" + Uri.EscapeDataString(url), UriKind.Relative));
            Assert.True(form.StatusCode == HttpStatusCode.OK, $"GET /login for {Show(url)}: {form.StatusCode}");
            var html = await form.Content.ReadAsStringAsync();
            var token = FormToken().Match(html).Groups[1].Value;
            using var signIn = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "dr-ray"), ("password", Password), ("returnUrl", url)));
            Assert.True(signIn.StatusCode == HttpStatusCode.Redirect, $"sign-in with {Show(url)}: {signIn.StatusCode}");
            var location = signIn.Headers.Location!.OriginalString;
            var target = new Uri(_base, location);
            Assert.True(target.Host == _base.Host && target.Port == _base.Port && location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal) && !location.StartsWith("/\\", StringComparison.Ordinal),
                $"sign-in with {Show(url)} went to {location}");
            Assert.DoesNotContain(location, c => c < 0x21 || c >= 0x7F);
            if (hostile.Contains(url))
            {
                Assert.Equal("/", location);
            }
            else
            {
                Assert.Equal(url.Split('?')[0], Uri.UnescapeDataString(target.AbsolutePath));
            }
        }
    }

    [Fact]
    public async Task Bad_cursors_and_posts_without_a_good_antiforgery_token_are_bad_requests_never_server_errors()
    {
        await AddUserAsync("dr-may", AccessRole.Admin);
        using var browser = await SignedInAsync("dr-may");
        foreach (var after in new[] { "NaN|1", "nan|1", "Infinity|1.2", "-Infinity|x", "1e999|1.2", "|", "0.5|", "abc", "0.5", "NaN", "1|" + new string('9', 300) })
        {
            using var response = await browser.GetAsync(new Uri("/worklist?after=" + Uri.EscapeDataString(after), UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"after={after}: {response.StatusCode}");
            ConsoleAccessTests.AssertHeaderPolicy(response);
        }

        using (var ok = await browser.GetAsync(new Uri("/worklist?after=0.5|1.2.3", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // Every form the pages post, from a signed-in browser: no token, an empty one, garbage, another session's.
        using var other = await SignedInAsync("dr-may");
        var otherToken = FormToken().Match(await other.GetStringAsync(new Uri("/worklist", UriKind.Relative))).Groups[1].Value;
        var posts = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("POST") == true && !e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .Select(e => RouteParameter().Replace(e.RoutePattern.RawText!, "1.2.3")).ToList();
        Assert.Contains("/logout", posts);
        foreach (var path in posts)
        {
            foreach (var token in new[] { null, string.Empty, "x", "CfDJ8" + new string('A', 120), otherToken })
            {
                var fields = new List<(string, string)> { ("verdict", "abnormal"), ("name", "someone"), ("role", "reader"), ("password", Password) };
                if (token is not null)
                {
                    fields.Add(("__RequestVerificationToken", token));
                }

                using var response = await browser.PostAsync(new Uri(path, UriKind.Relative), Form([.. fields]));
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"POST {path} with token {token?[..Math.Min(8, token.Length)] ?? "(none)"}: {response.StatusCode}");
            }

            // The same through the JSON header the script uses, and a form with a broken body.
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("%%%&&&=%ZZ", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded") };
            request.Headers.Add(ConsoleSecurity.AntiforgeryHeader, "garbage");
            using var broken = await browser.SendAsync(request);
            Assert.True(broken.StatusCode == HttpStatusCode.BadRequest, $"POST {path} with a broken form: {broken.StatusCode}");
        }

        // Still signed in, and nothing was done.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(new Uri("/worklist", UriKind.Relative))).StatusCode);
        Assert.Equal(1, await QueryAsync(db => db.ConsoleUsers.CountAsync()));
    }

    [Fact]
    public async Task The_broker_management_password_never_reaches_status_pages_or_logs()
    {
        // A broker nobody listens on, so the management API fails and its error is shown; the URL's password has a
        // space, an escaped ordinary character and an '@'.
        foreach (var management in new[] { "http://monitor:hunter2-secret@127.0.0.1:1/", "http://monitor:hunter 2-secret@127.0.0.1:1/", "http://monitor:hunt%65r2-secret@127.0.0.1:1/", "http://monitor:p@ss-secret@127.0.0.1:1/" })
        {
            await RestartAsync(new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = "amqp://guest:guest-secret@127.0.0.1:1/", ["RabbitMq:ManagementUrl"] = management, ["DataProtection:KeyFile"] = Path.Combine(_dir, "keyring.key") });
            using var admin = await KeyClientAsync(AccessRole.Admin);
            foreach (var path in new[] { "/api/status", "/api/overview", "/overview", "/settings" })
            {
                var text = await admin.GetStringAsync(new Uri(path, UriKind.Relative));
                foreach (var secret in new[] { "hunter2-secret", "2-secret", "hunt%65r2", "hunter2", "ss-secret", "guest-secret" })
                {
                    Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{path} shows {secret} of {management}:\n{text}");
                }

                if (path == "/api/status")
                {
                    var error = JsonDocument.Parse(text).RootElement.GetProperty("broker_error").GetString();
                    Assert.Contains("127.0.0.1:1", error, StringComparison.Ordinal);
                }
            }
        }

        // The log formatter every process uses masks what a message or an exception quotes.
        var services = new ServiceCollection().AddLogging(b => b.AddMuraConsole(timestamps: false)).BuildServiceProvider();
        var formatter = services.GetServices<Microsoft.Extensions.Logging.Console.ConsoleFormatter>().Single(f => f.Name == MaskedConsole.FormatterName);
        using var written = new StringWriter();
        var exception = new InvalidOperationException("Host=db;Password=\"pg;quoted-secret\";Username=mura");
        formatter.Write(new Microsoft.Extensions.Logging.Abstractions.LogEntry<string>(Microsoft.Extensions.Logging.LogLevel.Warning, "Test", new Microsoft.Extensions.Logging.EventId(7), "GET http://monitor:hunter 2-secret@mq:15672/api failed; key mura_abcdefghijklmnopqrstuvwxyz012345", exception, (s, _) => s), null, written);
        var line = written.ToString();
        Assert.Contains("warn: Test[7] GET http://monitor:(hidden)@mq:15672/api failed", line, StringComparison.Ordinal);
        foreach (var secret in new[] { "2-secret", "quoted-secret", "abcdefghijklmnop" })
        {
            Assert.DoesNotContain(secret, line, StringComparison.Ordinal);
        }
    }

    private static string Show(string url) => JsonSerializer.Serialize(url);

    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _base };
    }

    private async Task<HttpClient> SignedInAsync(string user)
    {
        var browser = Browser(out _);
        var token = FormToken().Match(await browser.GetStringAsync(new Uri("/login", UriKind.Relative))).Groups[1].Value;
        using var signIn = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", user), ("password", Password)));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return browser;
    }

    private async Task<HttpClient> KeyClientAsync(AccessRole role)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var key = (await scope.ServiceProvider.GetRequiredService<AccessStore>().AddKeyAsync("k" + Guid.NewGuid().ToString("N")[..10], role, AuditActor.CommandLine, default)).Key;
        var http = new HttpClient { BaseAddress = _base };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private async Task AddUserAsync(string name, AccessRole role)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AccessStore>().AddUserAsync(name, role, Password, AuditActor.CommandLine, default);
    }

    private async Task<T> QueryAsync<T>(Func<MuraDbContext, Task<T>> query)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<MuraDbContext>());
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) => new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
