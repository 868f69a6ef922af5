using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.DicomResults;

/// <summary>
/// The results role: each pass makes the objects of every scored study that has none for its model version yet, then
/// sends every due delivery, one association per destination. A refused association or a failed C-STORE leaves the
/// delivery pending with a doubling delay; a success marks it sent, so each object reaches each destination once.
/// </summary>
public sealed partial class ResultsWorker(IServiceScopeFactory scopes, IOptions<ResultOptions> options, DicomTls tls, TimeProvider clock, ILogger<ResultsWorker> logger) : BackgroundLoop(clock, logger)
{
    private readonly ResultOptions _options = options.Value;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(_options.ScanIntervalMs);

    protected override Task RunOnceAsync(CancellationToken ct) => PassAsync(ct);

    /// <summary>One pass: build what is missing, send what is due.</summary>
    public async Task PassAsync(CancellationToken ct)
    {
        await BuildMissingAsync(ct);
        foreach (var destination in _options.Destinations.Keys)
        {
            await SendDueAsync(destination, ct);
        }
    }

    public async Task<int> BuildMissingAsync(CancellationToken ct)
    {
        var built = 0;
        Guid? after = null;
        while (true)
        {
            List<Guid> page;
            await using (var scope = scopes.CreateAsyncScope())
            {
                page = await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().StudiesWithoutResultsAsync(after, 50, ct);
            }

            if (page.Count == 0)
            {
                return built;
            }

            foreach (var id in page)
            {
                await using var scope = scopes.CreateAsyncScope();
                var outbox = scope.ServiceProvider.GetRequiredService<ResultsOutbox>();
                var (study, reason) = await outbox.LoadAsync(id, ct);
                if (study is null)
                {
                    LogCannotBuild(logger, id, reason!);
                    continue;
                }

                var objects = ResultWriter.Build(study, _options, Clock.GetUtcNow());
                if (await outbox.RecordAsync(id, study, objects, ct))
                {
                    built++;
                    MuraMetrics.ResultObjects.Inc(objects.Count);
                    LogBuilt(logger, study.StudyInstanceUid, objects.Count, _options.Destinations.Count);
                }
            }

            after = page[^1];
        }
    }

    private async Task SendDueAsync(string name, CancellationToken ct)
    {
        var destination = _options.Destinations[name];
        while (!ct.IsCancellationRequested)
        {
            List<(Data.ResultDelivery Delivery, Data.StoredResult Result)> due;
            await using (var scope = scopes.CreateAsyncScope())
            {
                due = await scope.ServiceProvider.GetRequiredService<ResultsOutbox>().ClaimDueAsync(name, _owner, 32, TimeSpan.FromSeconds(_options.TimeoutSeconds * 4), ct);
            }

            if (due.Count == 0)
            {
                return;
            }

            IReadOnlyList<StoreOutcome>? outcomes = null;
            string? failure = null;
            try
            {
                var client = new DicomClient(destination.Host, destination.Port, _options.AeTitle, destination.AeTitle) { Timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds), Tls = destination.Tls ? tls : null };
                outcomes = await client.StoreAsync(due.Select(d => (d.Result.SopInstanceUid, d.Result.Content)).ToList(), ct);
            }
            catch (Exception ex) when (ex is DicomProtocolException or DicomException or IOException or System.Net.Sockets.SocketException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                failure = $"cannot send to {name} ({destination.AeTitle} at {destination.Host}:{destination.Port}): {ex.Message}";
            }

            await using (var scope = scopes.CreateAsyncScope())
            {
                var outbox = scope.ServiceProvider.GetRequiredService<ResultsOutbox>();
                foreach (var (delivery, result) in due)
                {
                    var outcome = outcomes?.FirstOrDefault(o => o.Path == result.SopInstanceUid);
                    if (outcome is { Succeeded: true })
                    {
                        await outbox.MarkSentAsync(delivery.Id, _owner, CancellationToken.None);
                        MuraMetrics.ResultsSent.WithLabels("sent").Inc();
                        continue;
                    }

                    var reason = failure ?? (outcome is null ? "not sent: the association ended first"
                        : outcome.Status is { } status ? $"{name} answered C-STORE with status 0x{status:X4}{(string.IsNullOrWhiteSpace(outcome.Error) ? string.Empty : ": " + outcome.Error)}"
                        : outcome.Error ?? "not sent");
                    await outbox.MarkFailedAsync(delivery, _owner, reason, CancellationToken.None);
                    MuraMetrics.ResultsSent.WithLabels("failed").Inc();
                    LogSendFailed(logger, result.SopInstanceUid, name, reason);
                }
            }

            if (failure is not null)
            {
                return; // the destination is away: the rest waits for its delay too
            }
        }
    }


    [LoggerMessage(Level = LogLevel.Warning, Message = "no results for study {StudyId}: {Reason}")]
    private static partial void LogCannotBuild(ILogger logger, Guid studyId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "results of study {StudyUid}: {Objects} objects for {Destinations} destinations")]
    private static partial void LogBuilt(ILogger logger, string studyUid, int objects, int destinations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sending {SopInstance} to {Destination} failed; it will be tried again: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string sopInstance, string destination, string reason);
}
