using System.Net.Sockets;

namespace MuraPipeline.Dicom.Network;

/// <summary>The outcome of sending one file: the DIMSE status, or why it was not sent.</summary>
public sealed record StoreOutcome(string Path, string SopInstanceUid, ushort? Status, string? Error)
{
    public bool Succeeded => Status is 0x0000 or 0xB000 or 0xB007 or 0xB006;
}

/// <summary>
/// The association requester: C-ECHO, and C-STORE of Part-10 files as they are (each in its own transfer syntax; the
/// peer must accept it, nothing is transcoded). Used to send results onward and, in tests, to talk to our own receiver.
/// </summary>
public sealed class DicomClient(string host, int port, string callingAe, string calledAe)
{
    public uint MaxPduLength { get; init; } = 65536;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<ushort> EchoAsync(CancellationToken ct)
    {
        var rq = new AssociationPdu { CalledAe = calledAe, CallingAe = callingAe, MaxPduLength = MaxPduLength };
        rq.Contexts.Add(new PresentationContext { Id = 1, AbstractSyntax = DicomUids.VerificationSopClass, TransferSyntaxes = [DicomUids.ImplicitVrLittleEndian] });
        await using var session = await Session.OpenAsync(host, port, rq, Timeout, ct);
        var pc = session.Accepted(DicomUids.VerificationSopClass, DicomUids.ImplicitVrLittleEndian)
            ?? throw new DicomProtocolException("the peer did not accept Verification");
        var response = await session.RequestAsync(pc, new DimseCommand { CommandField = DimseCommand.CEchoRq, MessageId = 1, AffectedSopClass = DicomUids.VerificationSopClass }, null, ct);
        await session.ReleaseAsync(ct);
        return response.Status ?? 0xFFFF;
    }

    /// <summary>Sends every file over one association; a file the peer refuses or that cannot be read is reported, not thrown.</summary>
    public async Task<IReadOnlyList<StoreOutcome>> StoreAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        var outcomes = new List<StoreOutcome>();
        var items = new List<(string Path, string SopClass, string SopInstance, string Syntax)>();
        foreach (var path in paths)
        {
            try
            {
                var header = DicomFile.OpenHeader(path);
                var sopClass = header.Meta.GetString(DicomTag.MediaStorageSopClassUid) ?? header.Dataset.GetString(DicomTag.SopClassUid) ?? throw new DicomException("no SOP Class UID");
                var sopInstance = header.Meta.GetString(DicomTag.MediaStorageSopInstanceUid) ?? header.Dataset.GetString(DicomTag.SopInstanceUid) ?? throw new DicomException("no SOP Instance UID");
                items.Add((path, sopClass, sopInstance, header.TransferSyntaxUid));
            }
            catch (DicomException ex)
            {
                outcomes.Add(new StoreOutcome(path, string.Empty, null, ex.Message));
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

        await using var session = await Session.OpenAsync(host, port, rq, Timeout, ct);
        ushort messageId = 1;
        foreach (var item in items)
        {
            var pc = session.Accepted(item.SopClass, item.Syntax);
            if (pc is null)
            {
                outcomes.Add(new StoreOutcome(item.Path, item.SopInstance, null, $"the peer did not accept {DicomUids.Describe(item.SopClass)} in {DicomUids.Describe(item.Syntax)}"));
                continue;
            }

            var bytes = await File.ReadAllBytesAsync(item.Path, ct);
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
            outcomes.Add(new StoreOutcome(item.Path, item.SopInstance, response.Status, response.ErrorComment));
        }

        await session.ReleaseAsync(ct);
        return outcomes;
    }

    private sealed class Session : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private NetworkStream _stream = null!;
        private readonly TimeSpan _timeout;
        private readonly uint _ourMax;
        private List<PresentationContext> _proposed = [];
        private Dictionary<byte, string> _accepted = [];
        private uint _peerMax;

        private Session(TcpClient client, TimeSpan timeout, uint ourMax)
        {
            _client = client;
            _timeout = timeout;
            _ourMax = ourMax;
        }

        public static async Task<Session> OpenAsync(string host, int port, AssociationPdu rq, TimeSpan timeout, CancellationToken ct)
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

                await s.SendAsync(rq.Encode(request: true), ct);
                var answer = await s.ReadAsync(ct) ?? throw new DicomProtocolException("the peer closed the connection instead of answering the association request");
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
                        throw new DicomProtocolException($"association rejected (result {answer.Body[1]}, source {answer.Body[2]}, reason {answer.Body[3]})");
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

        /// <summary>The proposed context for this SOP class that the peer accepted in this syntax, if any (the answer names only the context id).</summary>
        public PresentationContext? Accepted(string sopClass, string syntax) =>
            _proposed.FirstOrDefault(pc => pc.AbstractSyntax == sopClass && _accepted.GetValueOrDefault(pc.Id) == syntax);

        public async Task<DimseCommand> RequestAsync(PresentationContext pc, DimseCommand cmd, ReadOnlyMemory<byte>? data, CancellationToken ct)
        {
            await SendAsync(Pdu.PData(pc.Id, command: true, last: true, cmd.Encode()), ct);
            if (data is { } d)
            {
                var chunk = (int)Math.Min(_peerMax == 0 ? 1u << 20 : _peerMax - 6, 1u << 20);
                for (var at = 0; at < d.Length || (at == 0 && d.Length == 0); at += chunk)
                {
                    var n = Math.Min(chunk, d.Length - at);
                    await SendAsync(Pdu.PData(pc.Id, command: false, last: at + n >= d.Length, d.Span.Slice(at, n)), ct);
                    if (d.Length == 0)
                    {
                        break;
                    }
                }
            }

            using var command = new MemoryStream();
            while (true)
            {
                var pdu = await ReadAsync(ct) ?? throw new DicomProtocolException("the peer closed the connection before responding");
                if (pdu.Type == PduType.Abort)
                {
                    throw new DicomProtocolException("the peer aborted the association");
                }

                if (pdu.Type != PduType.PData)
                {
                    throw new DicomProtocolException($"expected a response, got PDU type 0x{(byte)pdu.Type:X2}");
                }

                foreach (var pdv in Pdu.Pdvs(pdu.Body))
                {
                    if (!pdv.Command)
                    {
                        continue;
                    }

                    command.Write(pdv.Data.Span);
                    if (pdv.Last)
                    {
                        return DimseCommand.Parse(command.ToArray());
                    }
                }
            }
        }

        public async Task ReleaseAsync(CancellationToken ct)
        {
            await SendAsync(Pdu.ReleaseRequest(), ct);
            var rp = await ReadAsync(ct);
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

        private async Task SendAsync(byte[] pdu, CancellationToken ct)
        {
            using var t = Deadline(ct);
            await _stream.WriteAsync(pdu, t.Token);
        }

        private async Task<(PduType Type, byte[] Body)?> ReadAsync(CancellationToken ct)
        {
            using var t = Deadline(ct);
            return await Pdu.ReadAsync(_stream, Math.Max(_ourMax, 65536u), t.Token);
        }

        public ValueTask DisposeAsync()
        {
            _stream?.Dispose();
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
