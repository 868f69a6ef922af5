using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Api.Pages;
using Xunit.Abstractions;

namespace MuraPipeline.IntegrationTests;

/// <summary>The console against the real services: replay reads a RabbitMQ error queue through the management API; PostgreSQL keeps the audit trail append-only.</summary>
public sealed class ConsoleServicesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private Cluster _c = null!;

    public async Task InitializeAsync() => _c = await Cluster.StartAsync(output);

    public async Task DisposeAsync() => await _c.DisposeAsync();

    [Fact]
    public async Task Messages_taken_off_an_error_queue_give_the_view_ids_they_carry_and_leave_the_queue()
    {
        const string Queue = "score-views_error";
        await _c.ManagementAsync(HttpMethod.Put, $"api/queues/{_c.Id}/{Queue}", """{"durable":true}""");
        var views = new[] { Guid.NewGuid(), Guid.NewGuid() };
        var bodies = views.Select(v => JsonSerializer.Serialize(new { messageId = Guid.NewGuid(), messageType = new[] { "urn:message:MuraPipeline.Contracts:ViewQueued" }, message = new { viewId = v, studyInstanceUid = "1.2.3" } }))
            .Append("""{"message":{"somethingElse":1}}""")
            .Append("not json at all");
        foreach (var body in bodies)
        {
            await _c.ManagementAsync(HttpMethod.Post, $"api/exchanges/{_c.Id}/amq.default/publish", JsonSerializer.Serialize(new { properties = new { }, routing_key = Queue, payload = body, payload_encoding = "string" }));
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = _c.RabbitUri }).Build();
        await using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var errors = new ErrorQueues(configuration, services.GetRequiredService<IHttpClientFactory>());
        Assert.True(errors.Available);
        Assert.Equal([views[0]], await errors.TakeViewIdsAsync(Queue, 1, default));
        await _c.WaitUntilAsync(() => Task.FromResult(_c.Queues()[Queue].Ready == 3), TimeSpan.FromSeconds(30), "the management API to count the three messages left");
        Assert.Equal([views[1]], await errors.TakeViewIdsAsync(Queue, 10, default)); // the other two are not view messages
        await _c.WaitUntilAsync(() => Task.FromResult(_c.Queues()[Queue].Ready == 0), TimeSpan.FromSeconds(30), "the error queue to be empty");
        await Assert.ThrowsAsync<ArgumentException>(() => errors.TakeViewIdsAsync("score-views", 1, default));
    }

    [Fact]
    public async Task The_audit_trail_is_append_only_in_PostgreSQL()
    {
        var (code, text) = _c.RunMura("keys", "add", "audited", "--role", "reader");
        Assert.True(code == 0, text);
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*)::int FROM audit_events WHERE \"Action\" = 'key.add'"));
        var delete = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _c.ScalarAsync<int>("DELETE FROM audit_events RETURNING 1"));
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _c.ScalarAsync<int>("UPDATE audit_events SET \"Actor\" = 'someone' RETURNING 1"));
        Assert.Equal(1, await _c.ScalarAsync<int>("SELECT count(*)::int FROM audit_events WHERE \"Actor\" <> 'someone'"));
    }
}
