using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api;

/// <summary>Reads the pipeline's state: counts from the database, queue depths from the RabbitMQ management API.</summary>
public sealed class PipelineStatusReader(MuraDbContext db, DatabaseTarget database, IConfiguration configuration, IHttpClientFactory? httpFactory, StorageWatch storage, TimeProvider clock)
{
    /// <summary>The window over which the scoring rate is averaged.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(5);

    /// <summary>How many of the latest export runs the status shows.</summary>
    public const int ExportHistory = 10;

    public async Task<PipelineStatus> ReadAsync(CancellationToken ct)
    {
        var studies = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in Enum.GetValues<StudyState>())
        {
            studies[PipelineStatus.Name(s)] = 0;
        }

        foreach (var g in await db.Studies.GroupBy(s => s.State).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
        {
            studies[PipelineStatus.Name(g.Key)] += g.N;
        }

        var views = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in Enum.GetValues<ViewState>())
        {
            views[PipelineStatus.Name(s)] = 0;
        }

        foreach (var g in await db.Views.GroupBy(v => v.State).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct))
        {
            views[PipelineStatus.Name(g.Key)] = g.N;
        }

        var now = clock.GetUtcNow();
        var since = now - RateWindow;
        var recent = await db.Views.CountAsync(v => v.State == ViewState.Scored && v.ScoredAt >= since, ct);
        var oldest = await db.Studies.Where(s => s.State == StudyState.Open || s.State == StudyState.Queued)
            .OrderBy(s => s.CreatedAt).Select(s => new { s.StudyInstanceUid, s.State, s.CreatedAt }).FirstOrDefaultAsync(ct);
        var waiting = oldest is null ? null : new WaitingStudy(oldest.StudyInstanceUid, PipelineStatus.Name(oldest.State), oldest.CreatedAt, Math.Round((now - oldest.CreatedAt).TotalSeconds, 1));

        var exports = (await db.ExportRuns.AsNoTracking().OrderByDescending(r => r.Id).Take(ExportHistory).ToListAsync(ct))
            .Select(r => new ExportRunRow(r.Id, r.Trigger, r.Instance, r.Status.ToString().ToLowerInvariant(), r.StartedAt, r.EndedAt, r.Studies, r.Images, r.Skipped, r.ToWatermark, r.Folder, r.Error, r.TrainingStatus, r.TrainingDetail))
            .ToList();
        var pulls = await db.PullStudies.AsNoTracking().Where(p => p.Job!.State == PullJobState.Active).GroupBy(p => p.State).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct);
        int Pull(PullStudyState state) => pulls.Where(p => p.Key == state).Sum(p => p.N);
        var pullStatus = new PullStatus(await db.PullJobs.CountAsync(j => j.State == PullJobState.Active, ct), Pull(PullStudyState.Pending), Pull(PullStudyState.Retrieving), Pull(PullStudyState.Received), Pull(PullStudyState.Failed) + Pull(PullStudyState.Incomplete));
        var deliveries = await db.ResultDeliveries.AsNoTracking().GroupBy(d => d.State).Select(g => new { g.Key, N = g.Count() }).ToListAsync(ct);
        int Delivery(DeliveryState state) => deliveries.Where(d => d.Key == state).Sum(d => d.N);
        var results = new ResultsStatus(await db.StoredResults.CountAsync(ct), Delivery(DeliveryState.Pending), Delivery(DeliveryState.Sent), Delivery(DeliveryState.Failed));
        var (queues, broker, error) = await ReadQueuesAsync(ct);
        return new PipelineStatus(studies, views, queues, Math.Round(recent / RateWindow.TotalMinutes, 2), waiting, database.Describe(), broker, error, exports, pullStatus, results, await StorageAsync(ct));
    }

    private async Task<StorageStatus> StorageAsync(CancellationToken ct)
    {
        var (usage, folders) = await storage.UsageAsync(token => StorageUsage.ReadAsync(db, token), ct);
        var volumes = storage.Check().Select(v => new VolumeStatus(v.Name, v.Path, v.FreeBytes, v.TotalBytes, v.MinFreeBytes, v.Low, folders.TryGetValue(v.Name, out var b) ? b : null)).ToList();
        var bytes = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["derivatives"] = usage.Derivatives,
            ["heatmaps"] = usage.Heatmaps,
            ["result_objects"] = usage.ResultObjects,
            ["database"] = usage.Database,
        };
        foreach (var (name, folder) in folders)
        {
            bytes[name] = folder;
        }

        var perView = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, n) in bytes)
        {
            perView[kind] = usage.Views == 0 ? 0 : n / usage.Views;
        }

        return new StorageStatus(volumes, storage.Low(), usage.Views, bytes, perView);
    }

    private async Task<(IReadOnlyList<QueueStatus>, string, string?)> ReadQueuesAsync(CancellationToken ct)
    {
        var uri = ConnectionStringsOptions.From(configuration).RabbitMq;
        if (string.IsNullOrWhiteSpace(uri))
        {
            return ([], "in-memory (embedded: queues live inside the process)", null);
        }

        var address = RabbitMqAddress.Parse(uri);
        var broker = $"RabbitMQ {address.Host}:{address.Port} vhost {address.VirtualHost}";
        ManagementEndpoint management;
        try
        {
            management = address.Management(RabbitMqOptions.From(configuration).ManagementUrl);
        }
        catch (FormatException ex)
        {
            return ([], broker, ex.Message);
        }

        try
        {
            using var http = httpFactory?.CreateClient("rabbitmq-management") ?? new HttpClient();
            http.Timeout = TimeSpan.FromSeconds(10);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(management.Uri, $"api/queues/{Uri.EscapeDataString(address.VirtualHost)}?columns=name,messages_ready,messages_unacknowledged,consumers"));
            request.Headers.Authorization = management.Authorization();
            using var response = await http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            var queues = doc.RootElement.EnumerateArray()
                .Select(q => new QueueStatus(
                    q.GetProperty("name").GetString()!,
                    Number(q, "messages_ready"),
                    Number(q, "messages_unacknowledged"),
                    Number(q, "consumers")))
                .OrderBy(q => q.Name, StringComparer.Ordinal)
                .ToList();
            return (queues, broker, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return ([], broker, Secrets.Mask($"RabbitMQ management API at {management} did not answer: {ex.Message}"));
        }
    }

    private static long Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
}
