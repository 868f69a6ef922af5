using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api.Pages;

/// <summary>
/// The broker's <c>_error</c> queues, through RabbitMQ's management API: messages are taken off a queue and the views
/// they name are retried through the database (<see cref="Data.StudyStore.RetryViewAsync"/>), so a message lost after
/// it is taken costs nothing: the state, not the message, says what is to be done. Embedded mode has no broker to read.
/// </summary>
public sealed class ErrorQueues(IConfiguration configuration, IHttpClientFactory httpFactory)
{
    public bool Available => ConnectionStringsOptions.From(configuration).IsDistributed;

    /// <summary>Takes up to <paramref name="count"/> messages off <paramref name="queue"/> (an <c>_error</c> queue) and returns the view ids they carry.</summary>
    public async Task<IReadOnlyList<Guid>> TakeViewIdsAsync(string queue, int count, CancellationToken ct)
    {
        if (!queue.EndsWith("_error", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{queue} is not an error queue", nameof(queue));
        }

        var address = RabbitMqAddress.Parse(ConnectionStringsOptions.From(configuration).RabbitMq!);
        var management = address.Management(RabbitMqOptions.From(configuration).ManagementUrl);
        using var http = httpFactory.CreateClient("rabbitmq-management");
        http.Timeout = TimeSpan.FromSeconds(30);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(management.Uri, $"api/queues/{Uri.EscapeDataString(address.VirtualHost)}/{Uri.EscapeDataString(queue)}/get"))
        {
            Content = JsonContent.Create(new { count, ackmode = "ack_requeue_false", encoding = "auto", truncate = 1_000_000 }),
        };
        request.Headers.Authorization = management.Authorization();
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        var ids = new List<Guid>();
        foreach (var m in doc.RootElement.EnumerateArray())
        {
            if (ViewIdOf(m.GetProperty("payload").GetString()) is { } id)
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>The view id in a MassTransit envelope (<c>{"message": {"viewId": …}}</c>), or null for another kind of message.</summary>
    public static Guid? ViewIdOf(string? envelope)
    {
        try
        {
            using var doc = JsonDocument.Parse(envelope ?? string.Empty);
            return doc.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
                && message.TryGetProperty("viewId", out var id) && id.TryGetGuid(out var guid) ? guid : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
