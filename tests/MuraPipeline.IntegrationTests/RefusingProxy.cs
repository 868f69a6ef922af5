using System.Net;
using System.Net.Sockets;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.IntegrationTests;

/// <summary>
/// A DICOM hop in front of a real peer: it rejects the first <c>refuse</c> associations (transient, "local limit
/// exceeded", as a busy PACS does), passes the rest through, and notes every C-STORE request that goes by, so a test
/// can count what reached the peer.
/// </summary>
public sealed class RefusingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _target;
    private readonly List<string> _stores = [];
    private int _refuse;

    public RefusingProxy(int targetPort, int refuse)
    {
        _target = targetPort;
        _refuse = refuse;
        _listener.Start();
        _loop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Associations { get; private set; }

    public int Refused { get; private set; }

    /// <summary>The SOP Instance UID of every C-STORE request passed on, in order.</summary>
    public IReadOnlyList<string> Stores
    {
        get
        {
            lock (_stores)
            {
                return [.. _stores];
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var down = client.GetStream();
                var rq = await Pdu.ReadAsync(down, 1 << 20, _stop.Token);
                if (rq is null)
                {
                    return;
                }

                Associations++;
                if (Interlocked.Decrement(ref _refuse) >= 0)
                {
                    Refused++;
                    await down.WriteAsync(Pdu.Reject(2, 3, 2), _stop.Token);
                    return;
                }

                using var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                var up = server.GetStream();
                await up.WriteAsync(Pdu.Frame(rq.Value.Type, rq.Value.Body), _stop.Token);
                var back = up.CopyToAsync(down, _stop.Token);
                while (await Pdu.ReadAsync(down, 1 << 24, _stop.Token) is { } pdu)
                {
                    if (pdu.Type == PduType.PData)
                    {
                        foreach (var pdv in Pdu.Pdvs(pdu.Body).Where(p => p.Command && p.Last))
                        {
                            var cmd = DimseCommand.Parse(pdv.Data.Span);
                            if (cmd.CommandField == DimseCommand.CStoreRq)
                            {
                                lock (_stores)
                                {
                                    _stores.Add(cmd.AffectedSopInstance);
                                }
                            }
                        }
                    }

                    await up.WriteAsync(Pdu.Frame(pdu.Type, pdu.Body), _stop.Token);
                }

                await back.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or DicomProtocolException or ObjectDisposedException)
            {
                // One side went away; the relay ends with it.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
