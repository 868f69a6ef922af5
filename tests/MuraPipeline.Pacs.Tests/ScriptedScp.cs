using System.Net;
using System.Net.Sockets;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs.Tests;

/// <summary>
/// A Q/R SCP for tests, built on our own PDU code: it accepts every association and every proposed context, and
/// hands each request to <see cref="HandleAsync"/>, which answers it as the test scripts. Any number of requests may
/// come on one association.
/// </summary>
public abstract class ScriptedScp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Associations accepted so far.</summary>
    public int Associations;

    /// <summary>Requests answered so far.</summary>
    public int Requests;

    protected void Start()
    {
        _listener.Start();
        _loop = AcceptAsync();
    }

    /// <summary>One request: its context, command and identifier (null when it has none), on the association <paramref name="ac"/>.</summary>
    protected abstract Task HandleAsync(NetworkStream s, AssociationPdu ac, byte context, DimseCommand cmd, byte[]? identifier, CancellationToken ct);

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

            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await ServeAsync(client.GetStream(), _stop.Token);
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or DicomProtocolException)
                    {
                        // The client went away.
                    }
                }
            });
        }
    }

    private async Task ServeAsync(NetworkStream s, CancellationToken ct)
    {
        var rq = AssociationPdu.Parse((await Pdu.ReadAsync(s, 1 << 20, ct))!.Value.Body, request: true);
        var ac = new AssociationPdu { CalledAe = rq.CalledAe, CallingAe = rq.CallingAe, MaxPduLength = 1 << 20 };
        foreach (var pc in rq.Contexts)
        {
            ac.Contexts.Add(new PresentationContext { Id = pc.Id, AbstractSyntax = pc.AbstractSyntax, TransferSyntaxes = pc.TransferSyntaxes, Result = PresentationContext.Acceptance, AcceptedTransferSyntax = pc.TransferSyntaxes[0] });
        }

        ac.Roles.AddRange(rq.Roles);
        await s.WriteAsync(ac.Encode(request: false), ct);
        Interlocked.Increment(ref Associations);
        while (true)
        {
            var (context, cmd, identifier) = await ReadMessageAsync(s, ct);
            if (cmd is null)
            {
                await s.WriteAsync(Pdu.ReleaseResponse(), ct);
                return;
            }

            Interlocked.Increment(ref Requests);
            await HandleAsync(s, ac, context, cmd, identifier, ct);
        }
    }

    /// <summary>A command and, when given, its data set, in PDUs of at most 16 KB.</summary>
    protected static async Task SendAsync(Stream s, byte context, DimseCommand cmd, byte[]? data, CancellationToken ct)
    {
        await s.WriteAsync(Pdu.PData(context, command: true, last: true, cmd.Encode()), ct);
        if (data is not null)
        {
            for (var at = 0; at < data.Length; at += 16384)
            {
                var n = Math.Min(16384, data.Length - at);
                await s.WriteAsync(Pdu.PData(context, command: false, last: at + n == data.Length, data.AsSpan(at, n)), ct);
            }
        }
    }

    /// <summary>A C-FIND response: a pending one with its identifier, or the final one with its status.</summary>
    protected static Task FindResponseAsync(Stream s, byte context, DimseCommand rq, DicomDataset? match, ushort status, CancellationToken ct) =>
        SendAsync(s, context, new DimseCommand
        {
            CommandField = DimseCommand.CFindRsp, RespondingTo = rq.MessageId, AffectedSopClass = rq.AffectedSopClass,
            DataSetType = match is null ? DimseCommand.NoDataSet : (ushort)0, Status = status,
        }, match is null ? null : DicomWriter.EncodeDataset(match), ct);

    /// <summary>The next command and its data set, if it has one; a null command at a release request.</summary>
    protected static async Task<(byte Context, DimseCommand? Command, byte[]? Data)> ReadMessageAsync(Stream s, CancellationToken ct)
    {
        using var command = new MemoryStream();
        using var data = new MemoryStream();
        DimseCommand? cmd = null;
        byte context = 0;
        while (true)
        {
            var pdu = (await Pdu.ReadAsync(s, 1 << 22, ct)) ?? throw new IOException("closed");
            if (pdu.Type == PduType.ReleaseRq)
            {
                return (0, null, null);
            }

            foreach (var pdv in Pdu.Pdvs(pdu.Body))
            {
                context = pdv.ContextId;
                if (pdv.Command)
                {
                    command.Write(pdv.Data.Span);
                    if (pdv.Last)
                    {
                        cmd = DimseCommand.Parse(command.ToArray());
                        if (!cmd.HasDataSet)
                        {
                            return (context, cmd, null);
                        }
                    }
                }
                else
                {
                    data.Write(pdv.Data.Span);
                    if (pdv.Last)
                    {
                        return (context, cmd, data.ToArray());
                    }
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
