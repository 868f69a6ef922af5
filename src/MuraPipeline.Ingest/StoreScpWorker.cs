using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom.Network;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>
/// Hosts the C-STORE receiver in the ingest role. Received instances are written durably into the watched folder
/// (under <c>CALLING_AE/</c>) before the peer hears success, and handed to the watched-folder worker in this process
/// (<see cref="ReceivedInstances"/>), which takes them at once.
/// While the inbox is below its free-space watermark, every instance is refused with Out of Resources (A700).
/// </summary>
public sealed class StoreScpWorker(IOptions<StoreScpOptions> scp, IOptions<IngestOptions> ingest, DicomTls tls, StorageWatch storage, ReceivedInstances received, ILogger<StoreScp> logger) : IHostedService, IAsyncDisposable
{
    private StoreScp? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Below the inbox's watermark each instance is refused with A700 before a byte of it is written.
        _server = new StoreScp(scp.Value, ingest.Value.WatchDir!, logger, tls, () => storage.Low("inbox"), received.Hand);
        MuraMetrics.BeforeScrape(() => MuraMetrics.ScpAssociationsOpen.Set(_server.ActiveAssociations));
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is { } s)
        {
            _server = null;
            await s.DisposeAsync();
        }
    }
}
