using System.Net;
using System.Net.Sockets;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// The receiver at its association limit: eight associations held open at once, one more refused as transient (and
/// accepted on retry once they are done), and the eight each sending 200 C-STOREs at the same time; every instance is
/// answered success and is on disk, whole. `mura bench receive` measures the same load beside Orthanc.
/// </summary>
public sealed class ReceiverLoadTests : IAsyncLifetime
{
    private const int Limit = 8;
    private const int PerAssociation = 200;
    private readonly string _dir = Peers.TempDir();
    private readonly ListLogger _log = new();
    private StoreScp _scp = null!;

    private string Inbox => Path.Combine(_dir, "inbox");

    public Task InitializeAsync()
    {
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", MaxAssociations = Limit, TimeoutSeconds = 60 }, Inbox, _log);
        _scp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _scp.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task At_the_association_limit_every_instance_is_stored_and_one_more_association_is_refused_as_transient_then_accepted()
    {
        var study = new PhantomGenerator(5150, minSide: 64, maxSide: 64).Generate(0);
        var ds = PhantomWriter.ToDataset(study, study.Views[0]);
        var sopClass = ds.GetString(DicomTag.SopClassUid)!;
        var probe = Path.Combine(_dir, "probe.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(probe);
        var sets = Enumerable.Range(0, Limit).Select(a => Enumerable.Range(0, PerAssociation).Select(i =>
        {
            var uid = DicomUid.FromName($"load/{a}/{i}");
            ds.AddString(DicomTag.SopInstanceUid, "UI", uid);
            return (Uid: uid, Bytes: DicomWriter.EncodeDataset(ds, DicomUids.ExplicitVrLittleEndian));
        }).ToList()).ToList();

        var holders = new List<Holder>();
        for (var a = 0; a < Limit; a++)
        {
            holders.Add(await Holder.OpenAsync(_scp.Port, sopClass));
        }

        Assert.Equal(Limit, _scp.ActiveAssociations);
        var refused = await Assert.ThrowsAsync<DicomProtocolException>(() => new DicomClient("127.0.0.1", _scp.Port, "PROBE", "MURA").StoreAsync([probe], default));
        Assert.Contains("result 2, source 3, reason 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("local limit exceeded", refused.Message, StringComparison.Ordinal);
        Assert.Contains(_log.Lines, l => l.Contains($"already serving {Limit} associations", StringComparison.Ordinal));

        // The eight send at once, each instance under its own UID; every response is success.
        var sent = await Task.WhenAll(holders.Select((h, a) => Task.Run(async () =>
        {
            for (var i = 0; i < PerAssociation; i++)
            {
                Assert.Equal(DimseCommand.Success, await h.StoreAsync((ushort)(i + 1), sopClass, sets[a][i].Uid, sets[a][i].Bytes));
            }

            await h.ReleaseAsync();
            return sets[a].Select(x => x.Uid);
        })));
        foreach (var h in holders)
        {
            h.Dispose();
        }

        var outcome = Assert.Single(await new DicomClient("127.0.0.1", _scp.Port, "PROBE", "MURA").StoreAsync([probe], default));
        Assert.True(outcome.Succeeded, outcome.Error);

        var stored = Directory.GetFiles(Inbox, "*.dcm", SearchOption.AllDirectories)
            .Select(f => DicomFile.Open(f).Dataset.GetString(DicomTag.SopInstanceUid)!).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Limit * PerAssociation + 1, stored.Count);
        Assert.True(sent.SelectMany(s => s).All(stored.Contains));
        Assert.Empty(Directory.GetFiles(Inbox, ".*", SearchOption.AllDirectories));
    }

    /// <summary>An association held open by hand, so the test decides when it starts sending.</summary>
    private sealed class Holder : IDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;

        private Holder(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
        }

        public static async Task<Holder> OpenAsync(int port, string sopClass)
        {
            var c = new TcpClient { NoDelay = true };
            await c.ConnectAsync(IPAddress.Loopback, port);
            var h = new Holder(c);
            var rq = new AssociationPdu { CalledAe = "MURA", CallingAe = "LOAD", MaxPduLength = 65536 };
            rq.Contexts.Add(new PresentationContext { Id = 1, AbstractSyntax = sopClass, TransferSyntaxes = [DicomUids.ExplicitVrLittleEndian] });
            await h._stream.WriteAsync(rq.Encode(request: true));
            Assert.Equal(PduType.AssociateAc, (await h.ReadAsync())?.Type);
            return h;
        }

        public async Task<ushort?> StoreAsync(ushort messageId, string sopClass, string uid, byte[] dataSet)
        {
            var cmd = new DimseCommand { CommandField = DimseCommand.CStoreRq, MessageId = messageId, AffectedSopClass = sopClass, AffectedSopInstance = uid, DataSetType = 0 };
            await _stream.WriteAsync(Pdu.PData(1, true, true, cmd.Encode()));
            for (var at = 0; at < dataSet.Length; at += 16_000)
            {
                var n = Math.Min(16_000, dataSet.Length - at);
                await _stream.WriteAsync(Pdu.PData(1, false, at + n >= dataSet.Length, dataSet.AsSpan(at, n)));
            }

            var pdu = await ReadAsync();
            Assert.Equal(PduType.PData, pdu?.Type);
            return DimseCommand.Parse(Pdu.Pdvs(pdu!.Value.Body).Single().Data.Span).Status;
        }

        public async Task ReleaseAsync()
        {
            await _stream.WriteAsync(Pdu.ReleaseRequest());
            Assert.Equal(PduType.ReleaseRp, (await ReadAsync())?.Type);
        }

        private async Task<(PduType Type, byte[] Body)?> ReadAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            return await Pdu.ReadAsync(_stream, 1 << 20, cts.Token);
        }

        public void Dispose()
        {
            _stream.Dispose();
            _client.Dispose();
        }
    }
}
