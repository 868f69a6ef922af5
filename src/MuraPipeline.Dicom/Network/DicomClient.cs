using System.Net.Sockets;

namespace MuraPipeline.Dicom.Network;

/// <summary>
/// The association requester: C-ECHO; C-STORE of Part-10 files as they are (each in its own transfer syntax; the
/// peer must accept it, nothing is transcoded); and the Study Root query/retrieve services: C-FIND, C-MOVE to a named
/// destination, and C-GET, whose instances come back on this association and are stored like a received C-STORE
/// (<see cref="IncomingInstance"/>). Used to pull from a PACS, to send results onward and, in tests, to talk to our
/// own receiver.
/// </summary>
public sealed class DicomClient(string host, int port, string callingAe, string calledAe)
{
    public uint MaxPduLength { get; init; } = 65536;

    /// <summary>How long the peer may stay silent (connecting, or between two PDUs) before the association is dropped.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Set: every association is opened over TLS (PS3.15 B.1), the server verified and our certificate offered.</summary>
    public DicomTls? Tls { get; init; }

    /// <summary>
    /// Study Root C-FIND: every match for <paramref name="identifier"/> (which carries the Query/Retrieve Level and the
    /// keys to match and return). A failure status (a capped answer included) or a malformed response is an exception
    /// naming it; nothing partial is returned. <see cref="OpenFindAsync"/> keeps one association for many queries and
    /// hands back capped answers with their status.
    /// </summary>
    public async Task<IReadOnlyList<DicomDataset>> FindAsync(DicomDataset identifier, CancellationToken ct)
    {
        await using var association = await OpenFindAsync(ct);
        var matches = new List<DicomDataset>();
        var answer = await association.FindAsync(identifier, m => { matches.Add(m); return ValueTask.CompletedTask; }, ct);
        if (!answer.Succeeded)
        {
            throw new DicomStatusException("C-FIND", answer.Status, answer.ErrorComment);
        }

        await association.ReleaseAsync(ct);
        return matches;
    }

    /// <summary>A Study Root C-FIND association for several queries in turn; release it when done.</summary>
    public async Task<FindAssociation> OpenFindAsync(CancellationToken ct)
    {
        var session = await Session.OpenAsync(host, port, Request(DicomUids.StudyRootFind), Timeout, Tls, ct);
        try
        {
            var pc = session.Accepted(DicomUids.StudyRootFind, DicomUids.ImplicitVrLittleEndian)
                ?? session.Accepted(DicomUids.StudyRootFind, DicomUids.ExplicitVrLittleEndian)
                ?? throw new DicomProtocolException("the peer did not accept Study Root Query/Retrieve - FIND");
            return new FindAssociation(session, pc);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Study Root C-MOVE of what <paramref name="identifier"/> names to the AE title <paramref name="destination"/>; the final response's status and counts.</summary>
    public async Task<RetrieveOutcome> MoveAsync(DicomDataset identifier, string destination, CancellationToken ct)
    {
        var rq = Request(DicomUids.StudyRootMove);
        await using var session = await Session.OpenAsync(host, port, rq, Timeout, Tls, ct);
        var pc = session.Accepted(DicomUids.StudyRootMove, DicomUids.ImplicitVrLittleEndian)
            ?? session.Accepted(DicomUids.StudyRootMove, DicomUids.ExplicitVrLittleEndian)
            ?? throw new DicomProtocolException("the peer did not accept Study Root Query/Retrieve - MOVE");
        var cmd = new DimseCommand { CommandField = DimseCommand.CMoveRq, MessageId = 1, AffectedSopClass = DicomUids.StudyRootMove, DataSetType = 0x0000, MoveDestination = destination };
        await session.SendAsync(pc, cmd, DicomWriter.EncodeDataset(identifier, session.SyntaxOf(pc)), ct);
        var outcome = await RetrieveResponsesAsync(session, cmd, DimseCommand.CMoveRsp, receiveDir: null, folder: null, ct);
        await session.ReleaseAsync(ct);
        return outcome;
    }

    /// <summary>
    /// Study Root C-GET of what <paramref name="identifier"/> names: the peer sends each instance back on this
    /// association as a C-STORE sub-operation, offered for <paramref name="storageSopClasses"/> only, and each is made
    /// durable under <c><paramref name="receiveDir"/>/<paramref name="folder"/>/</c> before the peer hears success.
    /// </summary>
    public async Task<RetrieveOutcome> GetAsync(DicomDataset identifier, IReadOnlyCollection<string> storageSopClasses, IReadOnlyCollection<string> storageSyntaxes, string receiveDir, string folder, CancellationToken ct)
    {
        var rq = Request(DicomUids.StudyRootGet);
        byte id = 3;
        foreach (var sop in storageSopClasses)
        {
            // Uncompressed in one context, each other syntax in its own: the peer can then send every instance as it holds it.
            var uncompressed = storageSyntaxes.Where(t => t is DicomUids.ExplicitVrLittleEndian or DicomUids.ImplicitVrLittleEndian).ToList();
            var groups = new List<List<string>>();
            if (uncompressed.Count > 0)
            {
                groups.Add(uncompressed);
            }

            groups.AddRange(storageSyntaxes.Except(uncompressed).Select(t => new List<string> { t }));
            foreach (var syntaxes in groups)
            {
                if (id > 253)
                {
                    throw new DicomException("too many storage SOP class and transfer syntax pairs for one C-GET association");
                }

                rq.Contexts.Add(new PresentationContext { Id = id, AbstractSyntax = sop, TransferSyntaxes = syntaxes });
                id += 2;
            }

            rq.Roles.Add(new RoleSelection(sop, Scu: false, Scp: true));
        }

        await using var session = await Session.OpenAsync(host, port, rq, Timeout, Tls, ct);
        var pc = session.Accepted(DicomUids.StudyRootGet, DicomUids.ImplicitVrLittleEndian)
            ?? session.Accepted(DicomUids.StudyRootGet, DicomUids.ExplicitVrLittleEndian)
            ?? throw new DicomProtocolException("the peer did not accept Study Root Query/Retrieve - GET");
        var cmd = new DimseCommand { CommandField = DimseCommand.CGetRq, MessageId = 1, AffectedSopClass = DicomUids.StudyRootGet, DataSetType = 0x0000 };
        await session.SendAsync(pc, cmd, DicomWriter.EncodeDataset(identifier, session.SyntaxOf(pc)), ct);
        var outcome = await RetrieveResponsesAsync(session, cmd, DimseCommand.CGetRsp, receiveDir, folder, ct);
        await session.ReleaseAsync(ct);
        return outcome;
    }

    private AssociationPdu Request(string sopClass)
    {
        var rq = new AssociationPdu { CalledAe = calledAe, CallingAe = callingAe, MaxPduLength = MaxPduLength };
        rq.Contexts.Add(new PresentationContext { Id = 1, AbstractSyntax = sopClass, TransferSyntaxes = [DicomUids.ImplicitVrLittleEndian, DicomUids.ExplicitVrLittleEndian] });
        return rq;
    }

    /// <summary>Reads C-MOVE or C-GET responses until the final one; a C-GET's C-STORE sub-operations are received and answered on the way.</summary>
    private static async Task<RetrieveOutcome> RetrieveResponsesAsync(Session session, DimseCommand request, ushort responseField, string? receiveDir, string? folder, CancellationToken ct)
    {
        var stored = new List<string>();
        var name = responseField == DimseCommand.CMoveRsp ? "C-MOVE" : "C-GET";
        while (true)
        {
            var (contextId, response) = await session.ReadCommandAsync(ct);
            if (response.CommandField == DimseCommand.CStoreRq && receiveDir is not null && response.HasDataSet)
            {
                var context = session.Context(contextId) ?? throw new DicomProtocolException($"C-STORE sub-operation on presentation context {contextId}, which was not accepted");
                using var incoming = await IncomingInstance.BeginAsync(receiveDir, response, context.AbstractSyntax, session.SyntaxOf(context), ct);
                await session.ReadDataSetAsync(contextId, d => incoming.WriteAsync(d, ct), ct);
                var (storeResponse, path, _) = await incoming.CommitAsync(folder!, ct);
                if (path is not null)
                {
                    stored.Add(path);
                }

                await session.SendAsync(context, storeResponse, null, ct);
                continue;
            }

            if (response.CommandField != responseField || response.RespondingTo != request.MessageId)
            {
                throw new DicomProtocolException($"expected a {name} response to message {request.MessageId}, got command 0x{response.CommandField:X4}");
            }

            if (response.HasDataSet)
            {
                // The final response may list the failed SOP instances; the counts say all we use.
                await session.ReadDataSetAsync(contextId, _ => Task.CompletedTask, ct);
            }

            var status = response.Status ?? throw new DicomProtocolException($"{name} response without a status");
            if (DimseCommand.IsPending(status))
            {
                continue;
            }

            return new RetrieveOutcome(status, response.Completed ?? 0, response.Failed ?? 0, response.Warning ?? 0, response.ErrorComment, stored);
        }
    }

    public async Task<ushort> EchoAsync(CancellationToken ct)
    {
        var rq = new AssociationPdu { CalledAe = calledAe, CallingAe = callingAe, MaxPduLength = MaxPduLength };
        rq.Contexts.Add(new PresentationContext { Id = 1, AbstractSyntax = DicomUids.VerificationSopClass, TransferSyntaxes = [DicomUids.ImplicitVrLittleEndian] });
        await using var session = await Session.OpenAsync(host, port, rq, Timeout, Tls, ct);
        var pc = session.Accepted(DicomUids.VerificationSopClass, DicomUids.ImplicitVrLittleEndian)
            ?? throw new DicomProtocolException("the peer did not accept Verification");
        var response = await session.RequestAsync(pc, new DimseCommand { CommandField = DimseCommand.CEchoRq, MessageId = 1, AffectedSopClass = DicomUids.VerificationSopClass }, null, ct);
        await session.ReleaseAsync(ct);
        return response.Status ?? 0xFFFF;
    }

    /// <summary>Sends every file over one association; a file the peer refuses or that cannot be read is reported, not thrown.</summary>
    public Task<IReadOnlyList<StoreOutcome>> StoreAsync(IReadOnlyList<string> paths, CancellationToken ct) =>
        StoreAsync(paths.Select(p => new StoreItem(p, () => DicomFile.OpenHeader(p), token => File.ReadAllBytesAsync(p, token))).ToList(), ct);

    /// <summary>Sends Part-10 objects held in memory (the results outbox's) over one association; each outcome is labelled with its name.</summary>
    public Task<IReadOnlyList<StoreOutcome>> StoreAsync(IReadOnlyList<(string Name, byte[] Part10)> objects, CancellationToken ct) =>
        StoreAsync(objects.Select(o => new StoreItem(o.Name, () => DicomReader.Read(o.Part10, stopAtPixelData: true), _ => Task.FromResult(o.Part10))).ToList(), ct);

    private sealed record StoreItem(string Name, Func<DicomFile> Header, Func<CancellationToken, Task<byte[]>> Load);

    private async Task<IReadOnlyList<StoreOutcome>> StoreAsync(IReadOnlyList<StoreItem> sources, CancellationToken ct)
    {
        var outcomes = new List<StoreOutcome>();
        var items = new List<(StoreItem Source, string SopClass, string SopInstance, string Syntax)>();
        foreach (var source in sources)
        {
            try
            {
                var header = source.Header();
                var sopClass = header.Meta.GetString(DicomTag.MediaStorageSopClassUid) ?? header.Dataset.GetString(DicomTag.SopClassUid) ?? throw new DicomException("no SOP Class UID");
                var sopInstance = header.Meta.GetString(DicomTag.MediaStorageSopInstanceUid) ?? header.Dataset.GetString(DicomTag.SopInstanceUid) ?? throw new DicomException("no SOP Instance UID");
                items.Add((source, sopClass, sopInstance, header.TransferSyntaxUid));
            }
            catch (DicomException ex)
            {
                outcomes.Add(new StoreOutcome(source.Name, string.Empty, null, ex.Message));
            }
        }

        if (items.Count == 0)
        {
            return outcomes;
        }

        var rq = new AssociationPdu { CalledAe = calledAe, CallingAe = callingAe, MaxPduLength = MaxPduLength };
        byte id = 1;
        foreach (var (sopClass, syntax) in items.Select(i => (i.SopClass, i.Syntax)).Distinct())
        {
            if (id > 253)
            {
                throw new DicomException("more than 127 distinct SOP class and transfer syntax pairs in one send");
            }

            rq.Contexts.Add(new PresentationContext { Id = id, AbstractSyntax = sopClass, TransferSyntaxes = [syntax] });
            id += 2;
        }

        await using var session = await Session.OpenAsync(host, port, rq, Timeout, Tls, ct);
        ushort messageId = 1;
        foreach (var item in items)
        {
            var pc = session.Accepted(item.SopClass, item.Syntax);
            if (pc is null)
            {
                outcomes.Add(new StoreOutcome(item.Source.Name, item.SopInstance, null, $"the peer did not accept {DicomUids.Describe(item.SopClass)} in {DicomUids.Describe(item.Syntax)}"));
                continue;
            }

            var bytes = await item.Source.Load(ct);
            var data = bytes.AsMemory(DicomReader.DataSetOffset(bytes));
            var cmd = new DimseCommand
            {
                CommandField = DimseCommand.CStoreRq,
                MessageId = messageId++,
                AffectedSopClass = item.SopClass,
                AffectedSopInstance = item.SopInstance,
                DataSetType = 0x0000,
            };
            var response = await session.RequestAsync(pc, cmd, data, ct);
            outcomes.Add(new StoreOutcome(item.Source.Name, item.SopInstance, response.Status, response.ErrorComment));
        }

        await session.ReleaseAsync(ct);
        return outcomes;
    }

    internal sealed class Session : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private Stream _stream = null!;
        private readonly TimeSpan _timeout;
        private readonly uint _ourMax;
        private readonly Queue<(byte ContextId, bool Command, bool Last, ReadOnlyMemory<byte> Data)> _pdvs = new();
        private List<PresentationContext> _proposed = [];
        private Dictionary<byte, string> _accepted = [];
        private uint _peerMax;

        private Session(TcpClient client, TimeSpan timeout, uint ourMax)
        {
            _client = client;
            _timeout = timeout;
            _ourMax = ourMax;
        }

        public static async Task<Session> OpenAsync(string host, int port, AssociationPdu rq, TimeSpan timeout, DicomTls? tls, CancellationToken ct)
        {
            var client = new TcpClient { NoDelay = true };
            var s = new Session(client, timeout, rq.MaxPduLength);
            try
            {
                using (var t = s.Deadline(ct))
                {
                    await client.ConnectAsync(host, port, t.Token);
                }

                s._stream = client.GetStream();
                if (tls is not null)
                {
                    using var t = s.Deadline(ct);
                    try
                    {
                        s._stream = await tls.ConnectAsync(s._stream, host, t.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        throw new DicomProtocolException($"no TLS handshake with {host} within {timeout.TotalSeconds:0} s (does it speak TLS on port {port}?)");
                    }
                }

                await s.SendPduAsync(rq.Encode(request: true), ct);
                var answer = await s.ReadPduAsync(ct) ?? throw new DicomProtocolException("the peer closed the connection instead of answering the association request");
                switch (answer.Type)
                {
                    case PduType.AssociateAc:
                        var ac = AssociationPdu.Parse(answer.Body, request: false);
                        s._peerMax = ac.MaxPduLength;
                        s._proposed = rq.Contexts;
                        s._accepted = ac.Contexts.Where(pc => pc.Result == PresentationContext.Acceptance)
                            .ToDictionary(pc => pc.Id, pc => pc.AcceptedTransferSyntax ?? string.Empty);
                        return s;
                    case PduType.AssociateRj when answer.Body.Length >= 4:
                        throw new DicomProtocolException($"association rejected (result {answer.Body[1]}, source {answer.Body[2]}, reason {answer.Body[3]}){RejectReason(answer.Body[2], answer.Body[3])}");
                    default:
                        throw new DicomProtocolException($"the peer answered the association request with PDU type 0x{(byte)answer.Type:X2}");
                }
            }
            catch
            {
                await s.DisposeAsync();
                throw;
            }
        }

        private static string RejectReason(byte source, byte reason) => (source, reason) switch
        {
            (1, 3) => ": our calling AE title is not recognised",
            (1, 7) => ": the called AE title is not recognised",
            (3, 2) or (2, 2) => ": the peer is busy (local limit exceeded)",
            _ => string.Empty,
        };

        /// <summary>The proposed context for this SOP class that the peer accepted in this syntax, if any (the answer names only the context id).</summary>
        public PresentationContext? Accepted(string sopClass, string syntax) =>
            _proposed.FirstOrDefault(pc => pc.AbstractSyntax == sopClass && _accepted.GetValueOrDefault(pc.Id) == syntax);

        /// <summary>An accepted context by its id.</summary>
        public PresentationContext? Context(byte id) => _accepted.ContainsKey(id) ? _proposed.FirstOrDefault(pc => pc.Id == id) : null;

        public string SyntaxOf(PresentationContext pc) => _accepted.GetValueOrDefault(pc.Id) ?? DicomUids.ImplicitVrLittleEndian;

        public async Task<DimseCommand> RequestAsync(PresentationContext pc, DimseCommand cmd, ReadOnlyMemory<byte>? data, CancellationToken ct)
        {
            await SendAsync(pc, cmd, data, ct);
            var (contextId, response) = await ReadCommandAsync(ct);
            if (response.HasDataSet)
            {
                await ReadDataSetAsync(contextId, _ => Task.CompletedTask, ct);
            }

            return response;
        }

        /// <summary>Sends a command and, when given, its data set in PDUs no larger than the peer takes.</summary>
        public async Task SendAsync(PresentationContext pc, DimseCommand cmd, ReadOnlyMemory<byte>? data, CancellationToken ct)
        {
            await SendPduAsync(Pdu.PData(pc.Id, command: true, last: true, cmd.Encode()), ct);
            if (data is { } d)
            {
                var chunk = (int)Math.Min(_peerMax == 0 ? 1u << 20 : _peerMax - 6, 1u << 20);
                for (var at = 0; at < d.Length || (at == 0 && d.Length == 0); at += chunk)
                {
                    var n = Math.Min(chunk, d.Length - at);
                    await SendPduAsync(Pdu.PData(pc.Id, command: false, last: at + n >= d.Length, d.Span.Slice(at, n)), ct);
                    if (d.Length == 0)
                    {
                        break;
                    }
                }
            }
        }

        /// <summary>The next command set from the peer and the context it came on.</summary>
        public async Task<(byte ContextId, DimseCommand Command)> ReadCommandAsync(CancellationToken ct)
        {
            using var command = new MemoryStream();
            while (true)
            {
                var pdv = await NextPdvAsync(ct);
                if (!pdv.Command)
                {
                    throw new DicomProtocolException("the peer sent a data set where a command was due");
                }

                command.Write(pdv.Data.Span);
                if (command.Length > 1 << 20)
                {
                    throw new DicomProtocolException("command set larger than 1 MB");
                }

                if (pdv.Last)
                {
                    return (pdv.ContextId, DimseCommand.Parse(command.ToArray()));
                }
            }
        }

        /// <summary>The data set that follows a command, handed to <paramref name="sink"/> fragment by fragment.</summary>
        public async Task ReadDataSetAsync(byte contextId, Func<ReadOnlyMemory<byte>, Task> sink, CancellationToken ct)
        {
            while (true)
            {
                var pdv = await NextPdvAsync(ct);
                if (pdv.Command)
                {
                    throw new DicomProtocolException("the peer sent a command inside a data set");
                }

                if (pdv.ContextId != contextId)
                {
                    throw new DicomProtocolException($"data set PDV on presentation context {pdv.ContextId}; its command came on {contextId}");
                }

                await sink(pdv.Data);
                if (pdv.Last)
                {
                    return;
                }
            }
        }

        private async Task<(byte ContextId, bool Command, bool Last, ReadOnlyMemory<byte> Data)> NextPdvAsync(CancellationToken ct)
        {
            while (_pdvs.Count == 0)
            {
                var pdu = await ReadPduAsync(ct) ?? throw new DicomProtocolException("the peer closed the connection in the middle of an exchange");
                switch (pdu.Type)
                {
                    case PduType.Abort:
                        throw new DicomProtocolException("the peer aborted the association");
                    case PduType.PData:
                        foreach (var pdv in Pdu.Pdvs(pdu.Body))
                        {
                            _pdvs.Enqueue(pdv);
                        }

                        break;
                    default:
                        throw new DicomProtocolException($"expected P-DATA, got PDU type 0x{(byte)pdu.Type:X2}");
                }
            }

            return _pdvs.Dequeue();
        }

        public async Task ReleaseAsync(CancellationToken ct)
        {
            await SendPduAsync(Pdu.ReleaseRequest(), ct);
            var rp = await ReadPduAsync(ct);
            if (rp is not { Type: PduType.ReleaseRp })
            {
                throw new DicomProtocolException("the peer did not answer the release request");
            }
        }

        private CancellationTokenSource Deadline(CancellationToken ct)
        {
            var t = CancellationTokenSource.CreateLinkedTokenSource(ct);
            t.CancelAfter(_timeout);
            return t;
        }

        private async Task SendPduAsync(byte[] pdu, CancellationToken ct)
        {
            using var t = Deadline(ct);
            try
            {
                await _stream.WriteAsync(pdu, t.Token);
            }
            catch (IOException ex)
            {
                // Over TLS 1.3 a server that refuses our certificate says so only after our side thinks the handshake is done.
                throw new DicomProtocolException($"the connection to the peer broke{(_stream is System.Net.Security.SslStream ? " (over TLS: the peer may have refused our certificate)" : "")}: {ex.Message}", ex);
            }
        }

        private async Task<(PduType Type, byte[] Body)?> ReadPduAsync(CancellationToken ct)
        {
            using var t = Deadline(ct);
            try
            {
                return await Pdu.ReadAsync(_stream, Math.Max(_ourMax, 65536u), t.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new DicomProtocolException($"the peer sent nothing for {_timeout.TotalSeconds:0} s");
            }
            catch (IOException ex)
            {
                throw new DicomProtocolException($"the connection to the peer broke: {ex.Message}", ex);
            }
        }

        public ValueTask DisposeAsync()
        {
            _stream?.Dispose();
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
