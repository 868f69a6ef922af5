using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using MuraPipeline.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace MuraPipeline.IntegrationTests;

/// <summary>
/// One test's private slice of the real services: its own PostgreSQL database and RabbitMQ virtual host (created, migrated
/// with `mura db migrate`, and dropped afterwards), a working folder, and the `mura serve` processes it starts.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public const string AdminConnection = "Host=127.0.0.1;Username=mura;Password=mura;Database=postgres;Pooling=false";
    private static readonly Uri Management = new("http://127.0.0.1:15672/");
    private readonly List<ServeProcess> _processes = [];
    private readonly ITestOutputHelper _output;

    private Cluster(string id, ITestOutputHelper output)
    {
        _output = output;
        Id = id;
        Dir = Peers.TempDir();
        Watch = Directory.CreateDirectory(Path.Combine(Dir, "watch")).FullName;
        ConnectionString = $"Host=127.0.0.1;Username=mura;Password=mura;Database={id};Timeout=5";
        RabbitUri = $"amqp://guest:guest@127.0.0.1:5672/{id}";
        KeyFile = Path.Combine(Dir, "keyring.key");
        File.WriteAllText(KeyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
    }

    /// <summary>The key ring key every process of this cluster shares (DataProtection:KeyFile), as replicas must.</summary>
    public string KeyFile { get; }

    public string Id { get; }

    public string Dir { get; }

    public string Watch { get; }

    public string ConnectionString { get; }

    public string RabbitUri { get; }

    public static async Task<Cluster> StartAsync(ITestOutputHelper output)
    {
        var c = new Cluster("mura_it_" + Guid.NewGuid().ToString("N")[..12], output);
        await using (var admin = new NpgsqlConnection(AdminConnection))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {c.Id} OWNER mura", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        await c.ManagementAsync(HttpMethod.Put, $"api/vhosts/{c.Id}", "{}");
        await c.ManagementAsync(HttpMethod.Put, $"api/permissions/{c.Id}/guest", """{"configure":".*","write":".*","read":".*"}""");
        var (code, text) = c.RunMura("db", "migrate");
        Assert.True(code == 0, $"mura db migrate failed ({code}): {text}");
        return c;
    }

    public Dictionary<string, string> Environment(IDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = ConnectionString,
            ["ConnectionStrings__RabbitMq"] = RabbitUri,
            ["DataProtection__KeyFile"] = KeyFile,
            ["Ingest__QuietPeriodSeconds"] = "2",
            ["Ingest__SettleMs"] = "200",
            ["Ingest__ScanIntervalMs"] = "250",
            ["Inference__BatchSize"] = "8",
            ["Messaging__RetryIntervalsMs"] = "100,200,400",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft"] = "Warning",
            ["Logging__LogLevel__System"] = "Warning",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        return env;
    }

    /// <summary>Starts `mura serve --roles ROLES` as its own process.</summary>
    public ServeProcess Serve(string name, string roles, IDictionary<string, string>? extra = null)
    {
        var url = $"http://127.0.0.1:{Peers.FreePort()}";
        var args = new List<string> { "serve", "--roles", roles, "--urls", url };
        if (roles.Contains("ingest", StringComparison.Ordinal))
        {
            args.AddRange(["--watch", Watch]);
        }

        var p = ServeProcess.Start(name, Peers.MuraDll, args, Environment(extra), Dir);
        p.Url = url;
        _processes.Add(p);
        return p;
    }

    /// <summary>Starts any mura command as its own process with this cluster's settings (one the test may kill).</summary>
    public ServeProcess Start(string name, IEnumerable<string> args, IDictionary<string, string>? extra = null)
    {
        var p = ServeProcess.Start(name, Peers.MuraDll, args, Environment(extra), Dir);
        _processes.Add(p);
        return p;
    }

    /// <summary>Runs a mura command to completion with this cluster's settings.</summary>
    public (int Code, string Output) RunMura(params string[] args) => RunMura(null, args);

    /// <summary>Runs a mura command to completion with this cluster's settings and <paramref name="extra"/> on top.</summary>
    public (int Code, string Output) RunMura(IDictionary<string, string>? extra, params string[] args)
    {
        var (code, stdout, stderr) = Peers.Mura(Environment(extra), Dir, args);
        return (code, stdout + stderr);
    }

    /// <summary>An HTTP client for <paramref name="api"/> that authenticates with a new API key of <paramref name="role"/>, made by `mura keys add`.</summary>
    public HttpClient ApiClient(ServeProcess api, string role)
    {
        var (code, stdout, stderr) = Peers.Mura(Environment(), Dir, "keys", "add", $"it-{role}-{Guid.NewGuid():N}"[..24], "--role", role);
        Assert.True(code == 0, $"mura keys add failed ({code}): {stderr}");
        var http = new HttpClient { BaseAddress = new Uri(api.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stdout.Trim());
        return http;
    }

    /// <summary>One query on a fresh connection (no pool: the test restarts the server under its own feet too).</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var value = await cmd.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value!, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>Every study scored once as the mean of its views, every view scored once with one score and one heatmap, no error anywhere.</summary>
    public async Task AssertScoredExactlyOnceAsync(int studies, int views)
    {
        Assert.Equal(studies, await ScalarAsync<int>("SELECT count(*) FROM studies WHERE \"State\" = 2 AND \"Score\" IS NOT NULL"));
        Assert.Equal(views, await ScalarAsync<int>("SELECT count(*) FROM views WHERE \"State\" = 2"));
        Assert.Equal(views, await ScalarAsync<int>("SELECT count(*) FROM scores"));
        Assert.Equal(0, await ScalarAsync<int>("SELECT count(*) FROM (SELECT \"ViewId\" FROM scores GROUP BY \"ViewId\" HAVING count(*) <> 1) d"));
        Assert.Equal(views, await ScalarAsync<int>("SELECT count(*) FROM heatmaps"));
        const string perStudy = """
            SELECT count(*) FROM studies s
            WHERE s."ViewCount" <> (SELECT count(*) FROM views v WHERE v."StudyId" = s."Id")
               OR s."ScoredViews" <> (SELECT count(*) FROM scores x JOIN views v ON v."Id" = x."ViewId" WHERE v."StudyId" = s."Id")
               OR abs(s."Score" - (SELECT avg(x."Probability") FROM scores x JOIN views v ON v."Id" = x."ViewId" WHERE v."StudyId" = s."Id")) > 1e-12
            """;
        Assert.Equal(0, await ScalarAsync<int>(perStudy));
        Assert.Equal(string.Empty, await ScalarAsync<string>("SELECT coalesce(string_agg(\"Error\", '; '), '') FROM views"));
    }

    /// <summary>
    /// <see cref="Eventually.UntilAsync(Func{Task{bool}}, TimeSpan, string, Func{Task{string}}?, Func{Exception, bool}?)"/>
    /// for the cluster: fails at once when one of its processes exits under the wait, tolerates the database restarting,
    /// and a timeout names where the run stands and each process's log.
    /// </summary>
    public Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what) =>
        Eventually.UntilAsync(
            async () =>
            {
                foreach (var p in _processes.Where(p => p.Exited && !p.Killed))
                {
                    Assert.Fail($"{p.Name} exited with {p.ExitCode} while waiting for {what}:\n{p.Log}");
                }

                return await condition();
            },
            deadline,
            what,
            async () => $"{await DescribeStateAsync()}\n{string.Join("\n", _processes.Select(p => $"--- {p.Name}\n{p.Tail(60)}"))}",
            ex => ex is NpgsqlException);

    /// <summary>
    /// Where the run stands, for a wait that timed out (first in its message, so a clipped log still shows it): views
    /// and studies by state, views still Received without a stored derivative, claimed studies, and the queues.
    /// </summary>
    private async Task<string> DescribeStateAsync()
    {
        try
        {
            var views = await ScalarAsync<string>("SELECT coalesce(string_agg(s, ', '), 'none') FROM (SELECT \"State\" || ': ' || count(*) AS s FROM views GROUP BY \"State\" ORDER BY \"State\") x");
            var studies = await ScalarAsync<string>("SELECT coalesce(string_agg(s, ', '), 'none') FROM (SELECT \"State\" || ': ' || count(*) || ' (' || count(\"LeaseOwner\") || ' claimed)' AS s FROM studies GROUP BY \"State\" ORDER BY \"State\") x");
            var bare = await ScalarAsync<int>("SELECT count(*) FROM views v WHERE v.\"State\" = 0 AND NOT EXISTS (SELECT 1 FROM view_images i WHERE i.\"ViewId\" = v.\"Id\")");
            var queues = string.Join(", ", Queues().Select(q => $"{q.Key} {q.Value.Ready}/{q.Value.Unacked}/{q.Value.Consumers}"));
            return $"views by state {views}; {bare} Received without a derivative; studies by state {studies}; queues (ready/unacked/consumers) {queues}";
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or Xunit.Sdk.XunitException)
        {
            return $"(state unavailable: {ex.Message})";
        }
    }

    /// <summary>Queue depths straight from the broker (rabbitmqctl is exact; the management API's figures lag by its sampling interval).</summary>
    public Dictionary<string, (long Ready, long Unacked, long Consumers)> Queues()
    {
        var (code, stdout, stderr) = Peers.Run("rabbitmqctl", "-q", "list_queues", "-p", Id, "name", "messages_ready", "messages_unacknowledged", "consumers", "--no-table-headers");
        Assert.True(code == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t', ' '))
            .Where(p => p.Length >= 4)
            .ToDictionary(p => p[0], p => (long.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture), long.Parse(p[3], CultureInfo.InvariantCulture)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            p.Stop();
            _output.WriteLine($"--- {p.Name} (exit {p.ExitCode})\n{p.Tail(40)}");
            p.Dispose();
        }

        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(AdminConnection))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Id} WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        await ManagementAsync(HttpMethod.Delete, $"api/vhosts/{Id}", null);
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>One call to the broker's management API as guest (the tests' broker on 127.0.0.1).</summary>
    public async Task ManagementAsync(HttpMethod method, string path, string? json)
    {
        using var http = new HttpClient { BaseAddress = Management };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("guest:guest")));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"RabbitMQ management {method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

}
