using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace MuraPipeline.IntegrationTests;

/// <summary>
/// No secret is ever written out: one `mura serve` with every role, logging at Debug, on a PostgreSQL role and a RabbitMQ
/// user with passwords of their own, a pseudonym key, a TLS key, an admin password and an API key, is made to use all of
/// them (a TLS C-STORE scored, a wrong and a right sign-in, status and settings read); then its whole log, `mura status
/// --json`, /api/status and the settings page are searched for each secret.
/// </summary>
public sealed partial class SecretsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private Cluster _c = null!;
    private string _role = null!;

    public async Task InitializeAsync()
    {
        _c = await Cluster.StartAsync(output);
        _role = _c.Id + "_s";
    }

    public async Task DisposeAsync()
    {
        await _c.DisposeAsync();
        await using var admin = new NpgsqlConnection(Cluster.AdminConnection);
        await admin.OpenAsync();
        foreach (var sql in new[] { $"DROP DATABASE IF EXISTS {_role} WITH (FORCE)", $"DROP ROLE IF EXISTS {_role}" })
        {
            await using var cmd = new NpgsqlCommand(sql, admin);
            await cmd.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task No_password_key_or_pseudonym_key_reaches_a_log_line_the_status_or_the_settings_page()
    {
        var pgPassword = "pg-" + Guid.NewGuid().ToString("N");
        var mqPassword = "mq-" + Guid.NewGuid().ToString("N");
        var pseudonymKey = "pseudonym-" + Guid.NewGuid().ToString("N");
        var adminPassword = "admin-" + Guid.NewGuid().ToString("N");
        var wrongPassword = "wrong-" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(Cluster.AdminConnection))
        {
            await admin.OpenAsync();
            foreach (var sql in new[] { $"CREATE ROLE {_role} LOGIN PASSWORD '{pgPassword}'", $"GRANT {_role} TO mura", $"CREATE DATABASE {_role} OWNER {_role}" })
            {
                await using var cmd = new NpgsqlCommand(sql, admin);
                await cmd.ExecuteNonQueryAsync();
            }
        }

        await _c.ManagementAsync(HttpMethod.Put, $"api/users/{_role}", JsonSerializer.Serialize(new { password = mqPassword, tags = "monitoring" }));
        await _c.ManagementAsync(HttpMethod.Put, $"api/permissions/{_c.Id}/{_role}", """{"configure":".*","write":".*","read":".*"}""");
        var pki = TestPki.Create(Path.Combine(_c.Dir, "pki"));
        var scpPort = Peers.FreePort();
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Username={_role};Password={pgPassword};Database={_role};Timeout=5",
            ["ConnectionStrings__RabbitMq"] = $"amqp://{_role}:{mqPassword}@127.0.0.1:5672/{_c.Id}",
            ["DataProtection__KeyFile"] = _c.KeyFile,
            ["Export__PseudonymKey"] = pseudonymKey,
            ["Export__Folder"] = Path.Combine(_c.Dir, "exports"),
            ["Scp__Port"] = scpPort.ToString(CultureInfo.InvariantCulture),
            ["Scp__Tls__Certificate"] = pki.ServerCert,
            ["Scp__Tls__Key"] = pki.ServerKey,
            ["Scp__Tls__ClientAuthority"] = pki.AuthorityCert,
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft"] = "Debug",
            ["Logging__LogLevel__System"] = "Debug",
        };

        var written = new StringBuilder();
        var (code, text) = _c.RunMura(env, "db", "migrate");
        Assert.True(code == 0, text);
        written.AppendLine(text);
        var (usersCode, usersOut, usersErr) = Peers.Run("dotnet", [Peers.MuraDll, "users", "add", "admin", "--role", "admin"], _c.Environment(env), _c.Dir, adminPassword + "\n");
        Assert.True(usersCode == 0, usersErr);
        written.AppendLine(usersOut).AppendLine(usersErr);
        var (keyCode, keyOut, keyErr) = Peers.Mura(_c.Environment(env), _c.Dir, "keys", "add", "secret-test", "--role", "admin");
        Assert.True(keyCode == 0, keyErr);
        var apiKey = keyOut.Trim();

        var serve = _c.Serve("all", "ingest,inference,scheduler,api,results", env);
        using var http = new HttpClient { BaseAddress = new Uri(serve.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

        // One study over mutual TLS into the receiver, scored.
        var phantoms = Path.Combine(_c.Dir, "phantoms");
        PhantomWriter.WriteAll(new PhantomGenerator(909, minSide: 300, maxSide: 400), 1, phantoms, PhantomFormat.Dicom);
        var files = Directory.GetFiles(phantoms, "*.dcm", SearchOption.AllDirectories);
        using (var tls = DicomTls.Load(new DicomTlsOptions { Certificate = pki.ClientCert, Key = pki.ClientKey, ServerAuthority = pki.AuthorityCert }))
        {
            var client = new DicomClient("127.0.0.1", scpPort, "SECRETS", "MURA") { Tls = tls };
            await _c.WaitUntilAsync(async () =>
            {
                try
                {
                    return await client.EchoAsync(default) == 0;
                }
                catch (Exception ex) when (ex is DicomProtocolException or System.Net.Sockets.SocketException)
                {
                    // Still starting.
                    return false;
                }
            }, TimeSpan.FromMinutes(2), "the receiver to answer over TLS");
            Assert.All(await client.StoreAsync(files, default), o => Assert.True(o.Succeeded, o.Error));
        }

        string status = "";
        await _c.WaitUntilAsync(async () =>
        {
            try
            {
                status = await http.GetStringAsync(new Uri("/api/status", UriKind.Relative));
            }
            catch (HttpRequestException)
            {
                // The API starts after the receiver.
                return false;
            }

            return JsonDocument.Parse(status).RootElement.GetProperty("views").GetProperty("scored").GetInt32() == files.Length;
        }, TimeSpan.FromMinutes(4), "the study to be scored");

        // A wrong and a right sign-in through the form.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(serve.Url) };
        var token = FormToken().Match(await browser.GetStringAsync(new Uri("/login", UriKind.Relative))).Groups[1].Value;
        using (var wrong = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "admin"), ("password", wrongPassword))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var right = await browser.PostAsync(new Uri("/login", UriKind.Relative), Form(("__RequestVerificationToken", token), ("username", "admin"), ("password", adminPassword), ("returnUrl", "/"))))
        {
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        }

        var settings = await browser.GetStringAsync(new Uri("/settings", UriKind.Relative));
        Assert.Contains("Export:PseudonymKey", settings, StringComparison.Ordinal);
        var (statusCode, cliStatus) = _c.RunMura(env, "status", "--json");
        Assert.True(statusCode == 0, cliStatus);
        serve.Stop();

        var log = serve.Log;
        Assert.Contains("speaks TLS only", log, StringComparison.Ordinal);
        Assert.Contains("SECRETS", log, StringComparison.Ordinal);
        var keyLines = File.ReadAllLines(pki.ServerKey).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        var secrets = new Dictionary<string, string>
        {
            ["PostgreSQL password"] = pgPassword,
            ["RabbitMQ password"] = mqPassword,
            ["pseudonym key"] = pseudonymKey,
            ["admin password"] = adminPassword,
            ["a wrong password typed at sign-in"] = wrongPassword,
            ["API key"] = apiKey,
        };
        for (var i = 0; i < keyLines.Count; i++)
        {
            secrets[$"TLS key line {i}"] = keyLines[i];
        }

        output.WriteLine($"searched {log.Length} characters of log ({log.Split('\n').Length} lines), /api/status, `mura status --json`, the settings page and the CLI's output for {secrets.Count} secrets");
        foreach (var (where, written2) in new[] { ("the serve log", log), ("/api/status", status), ("mura status --json", cliStatus), ("the settings page", settings), ("the CLI's output", written.ToString()) })
        {
            foreach (var (what, secret) in secrets)
            {
                Assert.False(written2.Contains(secret, StringComparison.Ordinal), $"{what} appears in {where}");
            }
        }
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();
}
