using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MuraPipeline.Dicom.Network;

/// <summary>
/// The C-STORE service class provider: accepts associations for Verification and the configured storage SOP classes,
/// and writes each received instance as a Part-10 file under <c>receiveDir/CALLING_AE/</c>, flushed to disk and renamed
/// into place (directory synced) before the success response goes back. Files being received are hidden (a leading
/// dot), so a folder watcher never sees half an instance.
/// </summary>
public sealed partial class StoreScp : IAsyncDisposable
{
    private readonly StoreScpOptions _options;
    private readonly string _receiveDir;
    private readonly ILogger _logger;
    private readonly DicomTls? _tls;
    private readonly Func<string?>? _refusal;
    private readonly Action<string>? _stored;
    private readonly HashSet<string> _sopClasses;
    private readonly HashSet<string> _syntaxes;
    private readonly HashSet<string> _callers;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _associations = [];
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private long _storedCount;
    private int _active;
    private int _pending;

    /// <param name="tls">When it <see cref="DicomTls.ServesTls"/>, every association is TLS (PS3.15 B.1); plain TCP otherwise.</param>
    /// <param name="refusal">Asked at each C-STORE: a reason to refuse it with Out of Resources (A700) before its data is written (a full disk), or null.</param>
    /// <param name="stored">Hears each instance's path once it is durably on disk, before its requester hears success.</param>
    public StoreScp(StoreScpOptions options, string receiveDir, ILogger logger, DicomTls? tls = null, Func<string?>? refusal = null, Action<string>? stored = null)
    {
        _refusal = refusal;
        _stored = stored;
        _options = options;
        _receiveDir = Path.GetFullPath(receiveDir);
        _logger = logger;
        _tls = tls is { ServesTls: true } ? tls : null;
        _sopClasses = options.AcceptedSopClasses();
        _syntaxes = options.AcceptedTransferSyntaxes();
        _callers = options.AllowedCallers();
        _slots = new SemaphoreSlim(options.MaxAssociations, options.MaxAssociations);
    }

    /// <summary>The port bound (useful when <see cref="StoreScpOptions.Port"/> asked the system for any).</summary>
    public int Port => (_listener?.LocalEndpoint as IPEndPoint)?.Port ?? 0;

    public long InstancesStored => Interlocked.Read(ref _storedCount);

    public int ActiveAssociations => Volatile.Read(ref _active);

    public void Start()
    {
        Directory.CreateDirectory(_receiveDir);
        _listener = new TcpListener(IPAddress.Parse(_options.BindAddress), _options.Port);
        _listener.Start();
        LogListening(_logger, _options.AeTitle, _options.BindAddress, Port, _receiveDir);
        if (_tls is not null)
        {
            LogTls(_logger, _tls.Subject ?? "?", _tls.RequiresClientCertificate ? "required" : "not asked for");
        }

        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        Task[] running;
        lock (_associations)
        {
            running = [.. _associations];
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _slots.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener!.AcceptTcpClientAsync(stopping);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_logger, ex.Message);
                continue;
            }

            // Admission is decided here, in the order connections arrive, before any task is spent on one.
            var remote = client.Client.RemoteEndPoint as IPEndPoint;
            var address = remote?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : remote?.Address ?? IPAddress.None;
            if (!TryAdmit(address, out var refusal))
            {
                LogConnectionRefused(_logger, remote?.ToString() ?? "?", refusal);
                client.Client.Close(0);
                client.Dispose();
                continue;
            }

            var task = Task.Run(() => ServeAsync(client, address, stopping), CancellationToken.None);
            lock (_associations)
            {
                _associations.RemoveAll(t => t.IsCompleted);
                _associations.Add(task);
            }
        }
    }

    /// <summary>
    /// Takes a connection only while its address holds fewer than <see cref="StoreScpOptions.MaxConnectionsPerAddress"/>
    /// and fewer than <see cref="StoreScpOptions.MaxPendingConnections"/> wait for their association request, so idle
    /// sockets from one place (or many) cannot keep an allowed peer out.
    /// </summary>
    private bool TryAdmit(IPAddress address, out string refusal)
    {
        lock (_perAddress)
        {
            var held = _perAddress.GetValueOrDefault(address);
            if (held >= _options.MaxConnectionsPerAddress)
            {
                refusal = $"{held} connections from this address already (Scp:MaxConnectionsPerAddress)";
                return false;
            }

            if (_pending >= _options.MaxPendingConnections)
            {
                refusal = $"{_pending} connections already wait for their association request (Scp:MaxPendingConnections)";
                return false;
            }

            _perAddress[address] = held + 1;
            _pending++;
            refusal = string.Empty;
            return true;
        }
    }

    private void Associated()
    {
        lock (_perAddress)
        {
            _pending--;
        }
    }

    private void Leave(IPAddress address, bool pending)
    {
        lock (_perAddress)
        {
            if (pending)
            {
                _pending--;
            }

            if (--_perAddress[address] == 0)
            {
                _perAddress.Remove(address);
            }
        }
    }

    private async Task ServeAsync(TcpClient client, IPAddress address, CancellationToken stopping)
    {
        var peer = client.Client.RemoteEndPoint?.ToString() ?? "?";
        Stream stream = client.GetStream();
        var association = new Association(this, stream, peer);
        using var associating = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        associating.CancelAfter(TimeSpan.FromSeconds(_options.AssociateTimeoutSeconds));
        try
        {
            client.NoDelay = true;
            if (_tls is not null)
            {
                try
                {
                    stream = await _tls.AcceptAsync(stream, associating.Token);
                }
                catch (DicomProtocolException ex)
                {
                    LogHandshakeFailed(_logger, peer, ex.Message);
                    return;
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    LogHandshakeFailed(_logger, peer, $"no TLS handshake within {_options.AssociateTimeoutSeconds} s");
                    return;
                }

                association = new Association(this, stream, peer);
            }

            await association.RunAsync(associating.Token, stopping);
        }
        catch (DicomProtocolException ex)
        {
            LogAborted(_logger, peer, association.CallingAe, ex.Message);
            await association.TrySendAsync(Pdu.Abort(2, 0));
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested && !association.Requested)
        {
            LogNoRequest(_logger, peer, _options.AssociateTimeoutSeconds);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            LogStalled(_logger, peer, association.CallingAe, _options.TimeoutSeconds);
            await association.TrySendAsync(Pdu.Abort(2, 0));
        }
        catch (OperationCanceledException)
        {
            await association.TrySendAsync(Pdu.Abort(2, 0));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            LogDropped(_logger, peer, association.CallingAe, ex.Message);
        }
#pragma warning disable CA1031 // The boundary of one association: whatever went wrong ends it, never the receiver.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(_logger, peer, association.CallingAe, ex);
            await association.TrySendAsync(Pdu.Abort(2, 0));
        }
        finally
        {
            association.DiscardPartial();
            await stream.DisposeAsync();
            client.Dispose();
            if (association.HasSlot)
            {
                Interlocked.Decrement(ref _active);
                _slots.Release();
            }

            Leave(address, pending: !association.Requested);
        }
    }

    /// <summary>One association: its negotiated contexts and the instance being received, if any.</summary>
    private sealed class Association(StoreScp scp, Stream stream, string peer)
    {
        private readonly Dictionary<byte, PresentationContext> _accepted = [];
        private readonly MemoryStream _command = new();
        private IncomingInstance? _pending;
        private byte _pendingContext;
        private uint _peerMaxPdu;

        public string CallingAe { get; private set; } = "?";

        /// <summary>Whether a whole association request came in (the connection no longer counts as waiting for one).</summary>
        public bool Requested { get; private set; }

        /// <summary>Whether this association holds one of the <see cref="StoreScpOptions.MaxAssociations"/> slots.</summary>
        public bool HasSlot { get; private set; }

        /// <param name="associating">Ends the wait for the association request (the associate timeout).</param>
        public async Task RunAsync(CancellationToken associating, CancellationToken stopping)
        {
            var o = scp._options;
            var first = await ReadAsync(associating, 65536);
            if (first is null)
            {
                return;
            }

            Requested = true;
            scp.Associated();
            if (first.Value.Type != PduType.AssociateRq)
            {
                throw new DicomProtocolException($"expected A-ASSOCIATE-RQ, got PDU type 0x{(byte)first.Value.Type:X2}");
            }

            var rq = AssociationPdu.Parse(first.Value.Body, request: true);
            CallingAe = rq.CallingAe;
            if (!string.Equals(rq.CalledAe, o.AeTitle, StringComparison.Ordinal))
            {
                LogRejected(scp._logger, peer, rq.CallingAe, $"it called AE title '{rq.CalledAe}', not '{o.AeTitle}'");
                await SendAsync(Pdu.Reject(1, 1, 7), stopping);
                return;
            }

            if (scp._callers.Count > 0 && !scp._callers.Contains(rq.CallingAe))
            {
                LogRejected(scp._logger, peer, rq.CallingAe, "its calling AE title is not in Scp:AllowedCallingAeTitles");
                await SendAsync(Pdu.Reject(1, 1, 3), stopping);
                return;
            }

            // Only an association we would accept takes a slot: strangers and silent sockets never hold one.
            HasSlot = scp._slots.Wait(0);
            if (!HasSlot)
            {
                LogRejected(scp._logger, peer, rq.CallingAe, $"already serving {o.MaxAssociations} associations");
                await SendAsync(Pdu.Reject(2, 3, 2), stopping);
                return;
            }

            Interlocked.Increment(ref scp._active);
            var ac = new AssociationPdu { CalledAe = rq.CalledAe, CallingAe = rq.CallingAe, MaxPduLength = (uint)o.MaxPduLength };
            foreach (var pc in rq.Contexts)
            {
                var answer = new PresentationContext { Id = pc.Id, AbstractSyntax = pc.AbstractSyntax, TransferSyntaxes = pc.TransferSyntaxes };
                if (!scp._sopClasses.Contains(pc.AbstractSyntax))
                {
                    answer.Result = PresentationContext.AbstractSyntaxNotSupported;
                }
                else if (pc.TransferSyntaxes.FirstOrDefault(scp._syntaxes.Contains) is { } ts)
                {
                    answer.Result = PresentationContext.Acceptance;
                    answer.AcceptedTransferSyntax = ts;
                    _accepted[pc.Id] = answer;
                }
                else
                {
                    answer.Result = PresentationContext.TransferSyntaxesNotSupported;
                }

                ac.Contexts.Add(answer);
            }

            _peerMaxPdu = rq.MaxPduLength;
            await SendAsync(ac.Encode(request: false), stopping);
            LogAssociated(scp._logger, peer, rq.CallingAe, _accepted.Count, rq.Contexts.Count);

            while (true)
            {
                var pdu = await ReadAsync(stopping, (uint)o.MaxPduLength);
                if (pdu is null)
                {
                    throw new IOException("the peer closed the connection without releasing the association");
                }

                switch (pdu.Value.Type)
                {
                    case PduType.PData:
                        foreach (var pdv in Pdu.Pdvs(pdu.Value.Body))
                        {
                            await OnPdvAsync(pdv.ContextId, pdv.Command, pdv.Last, pdv.Data, stopping);
                        }

                        break;
                    case PduType.ReleaseRq:
                        await SendAsync(Pdu.ReleaseResponse(), stopping);
                        LogReleased(scp._logger, peer, CallingAe);
                        return;
                    case PduType.Abort:
                        LogPeerAborted(scp._logger, peer, CallingAe);
                        return;
                    default:
                        throw new DicomProtocolException($"unexpected PDU type 0x{(byte)pdu.Value.Type:X2} inside an association");
                }
            }
        }

        private async Task OnPdvAsync(byte contextId, bool command, bool last, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            if (!_accepted.TryGetValue(contextId, out var pc))
            {
                throw new DicomProtocolException($"PDV on presentation context {contextId}, which was not accepted");
            }

            if (command)
            {
                if (_pending is not null)
                {
                    throw new DicomProtocolException("a new command began before the previous message's data set ended");
                }

                _command.Write(data.Span);
                if (_command.Length > 1 << 20)
                {
                    throw new DicomProtocolException("command set larger than 1 MB");
                }

                if (last)
                {
                    var cmd = DimseCommand.Parse(_command.ToArray());
                    _command.SetLength(0);
                    await OnCommandAsync(cmd, pc, ct);
                }

                return;
            }

            if (_pending is null)
            {
                throw new DicomProtocolException("data set PDV without a command before it");
            }

            if (contextId != _pendingContext)
            {
                throw new DicomProtocolException($"data set PDV on presentation context {contextId}; its command came on {_pendingContext}");
            }

            await _pending.WriteAsync(data, ct);
            if (last)
            {
                var incoming = _pending;
                _pending = null;
                await FinishStoreAsync(incoming, pc, ct);
            }
        }

        private async Task OnCommandAsync(DimseCommand cmd, PresentationContext pc, CancellationToken ct)
        {
            switch (cmd.CommandField)
            {
                case DimseCommand.CEchoRq:
                    await RespondAsync(pc, cmd.Response(DimseCommand.Success), ct);
                    return;
                case DimseCommand.CStoreRq when cmd.HasDataSet:
                    _pending = await IncomingInstance.BeginAsync(scp._receiveDir, cmd, pc.AbstractSyntax, pc.AcceptedTransferSyntax!, ct, scp._refusal?.Invoke());
                    _pendingContext = pc.Id;
                    return;
                default:
                    throw new DicomProtocolException($"DIMSE command 0x{cmd.CommandField:X4} is not supported (only C-ECHO and C-STORE)");
            }
        }

        private async Task FinishStoreAsync(IncomingInstance incoming, PresentationContext pc, CancellationToken ct)
        {
            var cmd = incoming.Command;
            var (response, path, reason) = await incoming.CommitAsync(CallingAe, ct);
            if (path is not null)
            {
                Interlocked.Increment(ref scp._storedCount);
                LogStored(scp._logger, cmd.AffectedSopInstance, CallingAe, DicomUids.Describe(pc.AcceptedTransferSyntax), path);
                scp._stored?.Invoke(path);
            }
            else
            {
                LogStoreFailed(scp._logger, cmd.AffectedSopInstance, CallingAe, response.Status ?? 0, reason ?? "unknown");
            }

            await RespondAsync(pc, response, ct);
        }

        private async Task RespondAsync(PresentationContext pc, DimseCommand response, CancellationToken ct) =>
            await SendAsync(Pdu.PData(pc.Id, command: true, last: true, response.Encode()), ct);

        public void DiscardPartial()
        {
            _pending?.Dispose();
            _pending = null;
        }

        private async Task<(PduType Type, byte[] Body)?> ReadAsync(CancellationToken stopping, uint limit)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(TimeSpan.FromSeconds(scp._options.TimeoutSeconds));
            return await Pdu.ReadAsync(stream, limit, timeout.Token);
        }

        private async Task SendAsync(byte[] pdu, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(scp._options.TimeoutSeconds));
            await stream.WriteAsync(pdu, timeout.Token);
        }

        public async Task TrySendAsync(byte[] pdu)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await stream.WriteAsync(pdu, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The peer is gone already.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DICOM receiver {AeTitle} listening on {Address}:{Port}; instances are written under {Dir}")]
    private static partial void LogListening(ILogger logger, string aeTitle, string address, int port, string dir);

    [LoggerMessage(Level = LogLevel.Information, Message = "DICOM receiver speaks TLS only (certificate {Subject}); client certificates {ClientCertificates}")]
    private static partial void LogTls(ILogger logger, string subject, string clientCertificates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "connection from {Peer} refused: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "connection from {Peer} closed unanswered: {Reason}")]
    private static partial void LogConnectionRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "connection from {Peer} closed: no association request within {Seconds} s")]
    private static partial void LogNoRequest(ILogger logger, string peer, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DICOM receiver could not accept a connection: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "association from {Peer} ({CallingAe}): {Accepted} of {Proposed} presentation contexts accepted")]
    private static partial void LogAssociated(ILogger logger, string peer, string callingAe, int accepted, int proposed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "association from {Peer} ({CallingAe}) rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string peer, string callingAe, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "association from {Peer} ({CallingAe}) aborted: {Reason}")]
    private static partial void LogAborted(ILogger logger, string peer, string callingAe, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "association from {Peer} ({CallingAe}) aborted: silent for {Seconds} s")]
    private static partial void LogStalled(ILogger logger, string peer, string callingAe, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "association from {Peer} ({CallingAe}) dropped: {Reason}")]
    private static partial void LogDropped(ILogger logger, string peer, string callingAe, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "association from {Peer} ({CallingAe}) failed and was aborted")]
    private static partial void LogFailed(ILogger logger, string peer, string callingAe, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "association from {Peer} ({CallingAe}) released")]
    private static partial void LogReleased(ILogger logger, string peer, string callingAe);

    [LoggerMessage(Level = LogLevel.Warning, Message = "association from {Peer} ({CallingAe}) aborted by the peer")]
    private static partial void LogPeerAborted(ILogger logger, string peer, string callingAe);

    [LoggerMessage(Level = LogLevel.Debug, Message = "stored {SopInstance} from {CallingAe} ({TransferSyntax}) as {Path}")]
    private static partial void LogStored(ILogger logger, string sopInstance, string callingAe, string transferSyntax, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "C-STORE of {SopInstance} from {CallingAe} failed with status 0x{Status:X4}: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string sopInstance, string callingAe, ushort status, string reason);
}
