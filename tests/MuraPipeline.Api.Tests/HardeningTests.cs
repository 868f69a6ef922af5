using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
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
        // space, an escaped ordinary character and an '@'. A broker named means a key file must be.
        KeyRing.Load(Path.Combine(_dir, "keyring.key"), create: true);
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

    [Fact]
    public async Task A_session_ends_on_the_server_at_sign_out_disable_password_change_idle_and_its_absolute_end()
    {
        await AddUserAsync("dr-ada", AccessRole.Reader);

        // Each way a session ends; a copy of the cookie taken while it stood opens nothing afterwards.
        var ends = new (string Reason, Func<HttpClient, Task> End)[]
        {
            ("signed out", async browser =>
            {
                var token = FormToken().Match(await browser.GetStringAsync(new Uri("/worklist", UriKind.Relative))).Groups[1].Value;
                using var logout = await browser.PostAsync(new Uri("/logout", UriKind.Relative), Form(("__RequestVerificationToken", token)));
                Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
            }),
            ("password changed", async _ => await WithStoreAsync(s => s.SetPasswordAsync("dr-ada", Password, AuditActor.CommandLine, default))),
            ("idle", async _ => await QueryAsync(db => db.ConsoleSessions.Where(x => x.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.LastSeenAt, DateTimeOffset.UtcNow.AddMinutes(-31))))),
            ("expired", async _ => await QueryAsync(db => db.ConsoleSessions.Where(x => x.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(x => x.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1))))),
            ("user disabled", async _ => await WithStoreAsync(s => s.DisableUserAsync("dr-ada", AuditActor.CommandLine, default))),
        };
        foreach (var (reason, end) in ends)
        {
            using var browser = await SignedInAsync("dr-ada", out var cookies);
            var stolen = cookies.GetCookies(_base)["mura.session"]!.Value;
            using var thief = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _base };
            thief.DefaultRequestHeaders.Add("Cookie", $"mura.session={stolen}");
            Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync(new Uri("/worklist", UriKind.Relative))).StatusCode);

            // A page above the session's role is refused with a page that says so, declared as HTML (nosniff).
            using (var denied = await browser.GetAsync(new Uri("/admin", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
                Assert.Equal("text/html", denied.Content.Headers.ContentType?.MediaType);
                ConsoleAccessTests.AssertHeaderPolicy(denied);
            }

            await end(browser);
            using var after = await thief.GetAsync(new Uri("/worklist", UriKind.Relative));
            Assert.True(after.StatusCode == HttpStatusCode.Redirect && new Uri(_base, after.Headers.Location!).AbsolutePath == "/login", $"after '{reason}' the copied cookie still got {after.StatusCode} {after.Headers.Location}");
            Assert.Equal(HttpStatusCode.Unauthorized, (await thief.GetAsync(new Uri("/api/worklist", UriKind.Relative))).StatusCode);
            Assert.Equal(reason, await QueryAsync(db => db.ConsoleSessions.OrderByDescending(x => x.CreatedAt).Select(x => x.EndReason).FirstAsync()));
        }

        // The database holds only the hash of each session's secret.
        var ids = await QueryAsync(db => db.ConsoleSessions.Select(x => x.Id).ToListAsync());
        Assert.Equal(ends.Length, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{64}$", id));
    }

    [Fact]
    public async Task Failed_sign_ins_hold_back_the_attacking_address_and_never_the_right_password_from_elsewhere()
    {
        await AddUserAsync("root-admin", AccessRole.Admin);
        await AddUserAsync("dr-eve", AccessRole.Reader);

        // An attacker at 127.0.0.2 guesses the admin's password: five failures, then every attempt is refused unchecked,
        // the right password included, and the refusals count as no new failures.
        using var attacker = From("127.0.0.2");
        for (var i = 0; i < 12; i++)
        {
            using var guess = await SignInAsync(attacker, "root-admin", $"guess number {i}");
            Assert.Equal(i < AccessStore.FailuresPerName ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, guess.StatusCode);
        }

        using (var right = await SignInAsync(attacker, "root-admin", Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        }

        Assert.Equal(AccessStore.FailuresPerName, await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Action == "signin" && !e.Succeeded && e.Actor == "root-admin")));
        Assert.Equal(8, await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Action == AccessStore.ThrottledAction && e.Address == "127.0.0.2")));

        // The admin, from elsewhere, signs in (slowed a little, never refused).
        using (var admin = From("127.0.0.1"))
        using (var signIn = await SignInAsync(admin, "root-admin", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        // An address that sprays many names is held back for all of them; others are not.
        using var sprayer = From("127.0.0.3");
        for (var i = 0; i < AccessStore.FailuresPerAddress; i++)
        {
            using var guess = await SignInAsync(sprayer, $"user{i}", "some password or other");
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }

        using (var held = await SignInAsync(sprayer, "dr-eve", Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
        }

        using (var eve = From("127.0.0.4"))
        using (var signIn = await SignInAsync(eve, "dr-eve", Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        // X-Forwarded-For is ignored unless its sender is a known proxy.
        using (var forged = From("127.0.0.5"))
        {
            forged.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.1");
            using var guess = await SignInAsync(forged, "dr-eve", "wrong password here");
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }

        Assert.Equal(0, await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Address == "198.51.100.1")));
        Assert.Equal(1, await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Address == "127.0.0.5")));

        // Behind a known proxy each client is itself: one client's failures hold back neither the proxy nor the others.
        await RestartAsync(new Dictionary<string, string?> { ["Console:KnownProxies"] = "127.0.0.6, 10.9.0.0/16" });
        using var proxy = From("127.0.0.6");
        for (var i = 0; i < AccessStore.FailuresPerAddress + 3; i++)
        {
            using var guess = await SignInAsync(proxy, $"someone{i}", "not a password", forwardedFor: "203.0.113.9");
            Assert.True(guess.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, guess.StatusCode.ToString());
        }

        Assert.True(await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Address == "203.0.113.9")) > AccessStore.FailuresPerAddress);
        Assert.Equal(0, await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Address == "127.0.0.6")));
        using (var held = await SignInAsync(proxy, "dr-eve", Password, forwardedFor: "203.0.113.9"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
        }

        using (var other = await SignInAsync(proxy, "dr-eve", Password, forwardedFor: "203.0.113.10"))
        {
            Assert.Equal(HttpStatusCode.Redirect, other.StatusCode);
        }

        Assert.Equal(1, await QueryAsync(db => db.AuditEvents.CountAsync(e => e.Action == "signin" && e.Succeeded && e.Address == "203.0.113.10")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_copy_of_the_database_forges_no_session_and_what_the_product_writes_is_its_own()
    {
        await AddUserAsync("dr-kay", AccessRole.Admin);
        using var browser = await SignedInAsync("dr-kay", out var cookies);
        var cookie = cookies.GetCookies(_base)["mura.session"]!.Value;

        // The key ring in the database is sealed: no key material in the clear.
        var rows = await QueryAsync(db => db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync());
        Assert.NotEmpty(rows);
        Assert.All(rows, xml =>
        {
            Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
            Assert.Contains("AES-256-GCM", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });

        // The database and the key file are the account's alone.
        var keyFile = Path.Combine(_dir, KeyRing.EmbeddedFileName);
        foreach (var file in new[] { Db, keyFile }.Concat(Directory.GetFiles(_dir, "mura.db-*")))
        {
            Assert.True(File.GetUnixFileMode(file) == PrivateFiles.Mode, $"{Path.GetFileName(file)} is {File.GetUnixFileMode(file)}");
        }

        // A thief with a copy of the database (journal included) cannot read the session cookie, so cannot forge one;
        // with the key file too, the same code can: the test would see a key ring left in the clear.
        var copy = Directory.CreateDirectory(Path.Combine(_dir, "stolen")).FullName;
        foreach (var file in Directory.GetFiles(_dir, "mura.db*"))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        Assert.Null(ReadCookie(Path.Combine(copy, "mura.db"), cookie, keyFile: null));
        Assert.Equal("dr-kay", ReadCookie(Path.Combine(copy, "mura.db"), cookie, keyFile)?.Principal.Identity?.Name);

        // A process that shares its database or names a broker will not start without a key file, and says why.
        foreach (var shared in new[] { ("ConnectionStrings:RabbitMq", "amqp://guest:guest@127.0.0.1:1/"), ("ConnectionStrings:Postgres", "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z") })
        {
            var ex = Assert.Throws<InvalidOperationException>(() => ServiceHost.Build(Roles.Parse("api"), new Dictionary<string, string?> { ["Database:SqliteFile"] = Path.Combine(_dir, "other.db"), [shared.Item1] = shared.Item2 }));
            Assert.Contains("DataProtection:KeyFile", ex.Message, StringComparison.Ordinal);
        }

        var (code, stdout, stderr) = Peers.Mura(new Dictionary<string, string> { ["ConnectionStrings__Postgres"] = "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z" }, _dir, "serve", "--roles", "api", "--urls", "http://127.0.0.1:0");
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("DataProtection:KeyFile", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        (code, stdout, stderr) = Peers.Mura(new Dictionary<string, string> { ["ConnectionStrings__Postgres"] = "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z", ["DataProtection__KeyFile"] = Path.Combine(_dir, "missing.key") }, _dir, "serve", "--roles", "api", "--urls", "http://127.0.0.1:0");
        Assert.Equal(ExitCodes.StartFailed, code);
        Assert.Contains("missing.key, which does not exist", stdout + stderr, StringComparison.Ordinal);

        // What `mura screen` writes (its database, journal and reports) is 0600 in folders of 0700.
        var input = Path.Combine(_dir, "in");
        MuraPipeline.Phantoms.PhantomWriter.WriteAll(new MuraPipeline.Phantoms.PhantomGenerator(31, minSide: 300, maxSide: 360), 2, input, MuraPipeline.Phantoms.PhantomFormat.Dicom);
        var output = Path.Combine(_dir, "screened");
        (code, _, stderr) = Peers.Mura(null, _dir, "screen", input, "--out", output);
        Assert.True(code == 0, stderr);
        var written = Directory.GetFiles(output, "*", SearchOption.AllDirectories);
        Assert.Contains(written, f => f.EndsWith("studies.csv", StringComparison.Ordinal));
        Assert.All(written, f => Assert.True((File.GetUnixFileMode(f) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0, $"{f} is {File.GetUnixFileMode(f)}"));
        Assert.All(Directory.GetDirectories(output, "*", SearchOption.AllDirectories).Append(output), d => Assert.True((File.GetUnixFileMode(d) & (UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) == 0, $"{d} is {File.GetUnixFileMode(d)}"));
    }

    /// <summary>The cookie's ticket as Data Protection over the database at <paramref name="db"/> reads it, with or without the key file; null when it cannot.</summary>
    private static Microsoft.AspNetCore.Authentication.AuthenticationTicket? ReadCookie(string db, string cookie, string? keyFile)
    {
        var services = new ServiceCollection();
        services.AddDbContext<MuraDbContext>(o => o.UseEmbeddedSqlite(db));
        services.AddDataProtection().SetApplicationName("MuraPipeline").PersistKeysToDbContext<MuraDbContext>();
        if (keyFile is not null)
        {
            services.AddSingleton(new KeyRingSecret(KeyRing.Load(keyFile, create: false)));
        }

        using var provider = services.BuildServiceProvider();
        var protector = provider.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>()
            .CreateProtector("Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", ConsoleSecurity.CookieScheme, "v2");
        try
        {
            return new Microsoft.AspNetCore.Authentication.TicketDataFormat(protector).Unprotect(cookie);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A browser-like client whose connections come from <paramref name="source"/>, another loopback address.</summary>
    private HttpClient From(string source) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        CookieContainer = new CookieContainer(),
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = _base };

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string user, string password, string? forwardedFor = null)
    {
        using var form = new HttpRequestMessage(HttpMethod.Get, "/login");
        using var page = await client.SendAsync(form);
        var token = FormToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        var post = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = Form(("__RequestVerificationToken", token), ("username", user), ("password", password)) };
        if (forwardedFor is not null)
        {
            post.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await client.SendAsync(post);
    }

    private async Task WithStoreAsync(Func<AccessStore, Task> work)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<AccessStore>());
    }

    private static string Show(string url) => JsonSerializer.Serialize(url);

    private HttpClient Browser(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _base };
    }

    private Task<HttpClient> SignedInAsync(string user) => SignedInAsync(user, out _);

    private Task<HttpClient> SignedInAsync(string user, out CookieContainer cookies)
    {
        var browser = Browser(out cookies);
        return SignInThroughAsync(browser, user);
    }

    private static async Task<HttpClient> SignInThroughAsync(HttpClient browser, string user)
    {
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
