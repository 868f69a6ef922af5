using System.Buffers.Binary;
using System.Net.Sockets;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>The C-STORE receiver against dcmtk's echoscu and storescu, our requester, and hostile peers.</summary>
public sealed class StoreScpTests : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private readonly ListLogger _log = new();
    private StoreScp _scp = null!;

    private string Inbox => Path.Combine(_dir, "inbox");

    public Task InitializeAsync()
    {
        _scp = Start(new StoreScpOptions { AeTitle = "MURA", TimeoutSeconds = 2, AllowedCallingAeTitles = "STORESCU,ECHOSCU,MURA-TEST,FUZZ" });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _scp.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private StoreScp Start(StoreScpOptions options)
    {
        var scp = new StoreScp(options, Inbox, _log);
        scp.Start();
        return scp;
    }

    private string Port => _scp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private List<string> WritePhantoms(int studies, ulong seed)
    {
        var dir = Path.Combine(_dir, "out-" + seed);
        PhantomWriter.WriteAll(new PhantomGenerator(seed, minSide: 200, maxSide: 260), studies, dir, PhantomFormat.Dicom);
        return Directory.GetFiles(dir, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
    }

    private List<string> Received() =>
        Directory.Exists(Inbox) ? Directory.GetFiles(Inbox, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList() : [];

    private static byte[] DataSet(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes[DicomReader.DataSetOffset(bytes)..];
    }

    [Fact]
    public void Echoscu_is_answered_and_a_wrong_or_unknown_ae_title_is_rejected_with_a_log_line()
    {
        var ok = Peers.Run("echoscu", "-aet", "ECHOSCU", "-aec", "MURA", "127.0.0.1", Port);
        Assert.True(ok.ExitCode == 0, ok.Stderr);

        var wrongCalled = Peers.Run("echoscu", "-aet", "ECHOSCU", "-aec", "OTHER", "127.0.0.1", Port);
        Assert.NotEqual(0, wrongCalled.ExitCode);
        Assert.Contains("Called AE Title Not Recognized", wrongCalled.Stderr + wrongCalled.Stdout, StringComparison.Ordinal);

        var stranger = Peers.Run("echoscu", "-aet", "STRANGER", "-aec", "MURA", "127.0.0.1", Port);
        Assert.NotEqual(0, stranger.ExitCode);
        Assert.Contains("Calling AE Title Not Recognized", stranger.Stderr + stranger.Stdout, StringComparison.Ordinal);
        Assert.Contains(_log.Lines, l => l.Contains("STRANGER", StringComparison.Ordinal) && l.Contains("rejected", StringComparison.Ordinal));
    }

    [Fact]
    public void Storescu_instances_are_stored_byte_for_byte_in_their_transfer_syntaxes()
    {
        var files = WritePhantoms(3, seed: 41);
        // Three syntaxes through dcmtk's transcoders, each sent by storescu as it is.
        // storescu proposes one compressed syntax per run (-xs JPEG lossless SV1, -xr RLE), so one run per syntax.
        var sent = new List<string>();
        for (var i = 0; i < files.Count; i++)
        {
            var (program, option, propose) = (i % 3) switch { 0 => ("dcmconv", "+ti", "-xi"), 1 => ("dcmcjpeg", "+e1", "-xs"), _ => ("dcmcrle", "+un", "-xr") };
            var target = Path.Combine(_dir, $"send-{i}.dcm");
            var r = Peers.Run(program, option, files[i], target);
            Assert.True(r.ExitCode == 0, r.Stderr);
            var store = Peers.Run("storescu", "-aet", "STORESCU", "-aec", "MURA", propose, "127.0.0.1", Port, target);
            Assert.True(store.ExitCode == 0, store.Stderr);
            sent.Add(target);
        }

        var received = Received();
        Assert.Equal(sent.Count, received.Count);
        Assert.All(received, r => Assert.StartsWith(Path.Combine(Inbox, "STORESCU"), r, StringComparison.Ordinal));
        foreach (var s in sent)
        {
            var header = DicomFile.OpenHeader(s);
            var uid = header.Dataset.GetString(DicomTag.SopInstanceUid)!;
            var match = Assert.Single(received, r => DicomFile.OpenHeader(r).Dataset.GetString(DicomTag.SopInstanceUid) == uid);
            Assert.Equal(header.TransferSyntaxUid, DicomFile.OpenHeader(match).TransferSyntaxUid);
            Assert.Equal(DataSet(s), DataSet(match));
            // dcmtk reads what we wrote.
            var dump = Peers.Run("dcmdump", "-q", match);
            Assert.True(dump.ExitCode == 0, dump.Stderr);
        }

        Assert.Equal(sent.Count, _scp.InstancesStored);
    }

    [Fact]
    public async Task Our_requester_echoes_and_stores_and_an_unsupported_sop_class_is_reported_not_sent()
    {
        var client = new DicomClient("127.0.0.1", _scp.Port, "MURA-TEST", "MURA");
        Assert.Equal(DimseCommand.Success, await client.EchoAsync(default));

        var files = WritePhantoms(1, seed: 43);
        var ct = Path.Combine(_dir, "ct.dcm");
        var ds = DicomFile.Open(files[0]).Dataset;
        ds.AddString(DicomTag.SopClassUid, "UI", "1.2.840.10008.5.1.4.1.1.2");
        ds.AddString(DicomTag.SopInstanceUid, "UI", "2.25.99");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(ct);

        var outcomes = await client.StoreAsync([.. files, ct], default);
        Assert.All(outcomes.Where(o => o.Path != ct), o => Assert.True(o.Succeeded, o.Error));
        var refused = Assert.Single(outcomes, o => o.Path == ct);
        Assert.False(refused.Succeeded);
        Assert.Contains("did not accept CT Image Storage", refused.Error, StringComparison.Ordinal);
        Assert.Equal(files.Count, Received().Count);
    }

    [Fact]
    public async Task A_data_set_that_cannot_be_parsed_gets_an_error_status_and_leaves_no_file()
    {
        await using var raw = await RawAssociation.OpenAsync(_scp.Port, DicomUids.DigitalXRayImageStorageForPresentation);
        var cmd = new DimseCommand { CommandField = DimseCommand.CStoreRq, MessageId = 7, AffectedSopClass = DicomUids.DigitalXRayImageStorageForPresentation, AffectedSopInstance = "2.25.7", DataSetType = 0 };
        await raw.SendAsync(Pdu.PData(1, true, true, cmd.Encode()));
        await raw.SendAsync(Pdu.PData(1, false, true, "\u0008\u0000\u0018\u0000UI\u00FF\u00FFgarbage"u8.ToArray()));
        var response = await raw.ReadResponseAsync();
        Assert.Equal(DimseCommand.ErrorCannotUnderstand, response.Status);
        Assert.Contains("cannot understand", response.ErrorComment, StringComparison.Ordinal);
        Assert.Empty(Received());
    }

    [Fact]
    public async Task Garbage_oversized_stalled_and_dropped_peers_are_aborted_logged_and_leave_nothing_behind()
    {
        // Garbage instead of an association request.
        await using (var raw = await RawAssociation.ConnectAsync(_scp.Port))
        {
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.Equal(PduType.Abort, (await raw.ReadPduAsync())?.Type);
        }

        // An association request that declares 2 GB.
        await using (var raw = await RawAssociation.ConnectAsync(_scp.Port))
        {
            var header = new byte[6];
            header[0] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(2), 0x7FFFFFFF);
            await raw.SendAsync(header);
            Assert.Equal(PduType.Abort, (await raw.ReadPduAsync())?.Type);
        }

        // A P-DATA-TF PDU over the negotiated maximum.
        await using (var raw = await RawAssociation.OpenAsync(_scp.Port, DicomUids.VerificationSopClass))
        {
            await raw.SendAsync(Pdu.PData(1, false, true, new byte[70_000]));
            Assert.Equal(PduType.Abort, (await raw.ReadPduAsync())?.Type);
        }

        // A peer that stops in the middle of an instance (timeout 2 s): aborted, its partial file removed.
        await using (var raw = await RawAssociation.OpenAsync(_scp.Port, DicomUids.DigitalXRayImageStorageForPresentation))
        {
            var cmd = new DimseCommand { CommandField = DimseCommand.CStoreRq, MessageId = 1, AffectedSopClass = DicomUids.DigitalXRayImageStorageForPresentation, AffectedSopInstance = "2.25.8", DataSetType = 0 };
            await raw.SendAsync(Pdu.PData(1, true, true, cmd.Encode()));
            await raw.SendAsync(Pdu.PData(1, false, false, new byte[1000]));
            Assert.Equal(PduType.Abort, (await raw.ReadPduAsync(TimeSpan.FromSeconds(20)))?.Type);
        }

        Assert.Contains(_log.Lines, l => l.Contains("silent for 2 s", StringComparison.Ordinal));

        // A peer that drops the connection in the middle of an instance.
        await using (var raw = await RawAssociation.OpenAsync(_scp.Port, DicomUids.DigitalXRayImageStorageForPresentation))
        {
            var cmd = new DimseCommand { CommandField = DimseCommand.CStoreRq, MessageId = 1, AffectedSopClass = DicomUids.DigitalXRayImageStorageForPresentation, AffectedSopInstance = "2.25.9", DataSetType = 0 };
            await raw.SendAsync(Pdu.PData(1, true, true, cmd.Encode()));
            await raw.SendAsync(Pdu.PData(1, false, false, new byte[1000]));
        }

        await Eventually.UntilAsync(() => _scp.ActiveAssociations == 0, TimeSpan.FromSeconds(10), "every association to close");
        Assert.Empty(Received());
        Assert.Empty(Directory.GetFiles(Inbox, ".*"));
        Assert.Contains(_log.Lines, l => l.Contains("unrecognised PDU type", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("over the", StringComparison.Ordinal));

        // And the receiver still answers.
        Assert.Equal(DimseCommand.Success, await new DicomClient("127.0.0.1", _scp.Port, "MURA-TEST", "MURA").EchoAsync(default));
    }

    [Fact]
    public async Task One_association_over_the_limit_is_rejected_as_transient()
    {
        await using var limited = Start(new StoreScpOptions { AeTitle = "MURA", MaxAssociations = 1, TimeoutSeconds = 30 });
        await using var holder = await RawAssociation.OpenAsync(limited.Port, DicomUids.VerificationSopClass);
        var ex = await Assert.ThrowsAsync<DicomProtocolException>(() => new DicomClient("127.0.0.1", limited.Port, "MURA-TEST", "MURA").EchoAsync(default));
        Assert.Contains("result 2, source 3, reason 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_and_trickling_connections_hold_no_slot_and_an_allowed_peer_is_still_answered()
    {
        await using var scp = Start(new StoreScpOptions { AeTitle = "MURA", MaxAssociations = 2, MaxConnectionsPerAddress = 3, AssociateTimeoutSeconds = 3, TimeoutSeconds = 30, AllowedCallingAeTitles = "ECHOSCU" });
        var port = scp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Twelve silent sockets from four other loopback addresses: six times the association limit.
        var idle = new List<TcpClient>();
        for (var a = 2; a <= 5; a++)
        {
            for (var i = 0; i < 3; i++)
            {
                idle.Add(await FromAsync($"127.0.0.{a}", scp.Port));
            }
        }

        // A fourth from one of those addresses is closed unanswered; the others stay open.
        Assert.True(await RefusedAsync("127.0.0.2", scp.Port), "a fourth connection from one address was kept");

        Assert.Contains(_log.Lines, l => l.Contains("127.0.0.2", StringComparison.Ordinal) && l.Contains("Scp:MaxConnectionsPerAddress", StringComparison.Ordinal));

        // dcmtk's echoscu from an allowed AE title is answered while they sit there, twice over the association limit.
        for (var i = 0; i < 3; i++)
        {
            var echo = Peers.Run("echoscu", "-aet", "ECHOSCU", "-aec", "MURA", "127.0.0.1", port);
            Assert.True(echo.ExitCode == 0, echo.Stderr + echo.Stdout);
        }

        // A stranger's association is rejected and never held a slot either.
        Assert.NotEqual(0, Peers.Run("echoscu", "-aet", "STRANGER", "-aec", "MURA", "127.0.0.1", port).ExitCode);
        Assert.Equal(0, scp.ActiveAssociations);

        // Every silent socket is closed at the associate timeout, and its address may connect again.
        foreach (var c in idle)
        {
            Assert.True(await ClosedAsync(c, TimeSpan.FromSeconds(20)), "a silent connection outlived the associate timeout");
            c.Dispose();
        }

        Assert.Contains(_log.Lines, l => l.Contains("no association request within 3 s", StringComparison.Ordinal));
        using (var again = await FromAsync("127.0.0.2", scp.Port))
        {
            // A refused connection is closed at once; this one is kept, waiting for its request.
            Assert.False(await ClosedAsync(again, TimeSpan.FromSeconds(1)), "the address's closed connections were still counted against it");
        }

        // A peer that trickles its association request a byte at a time is closed at the same deadline, never silent for long.
        using var trickle = await FromAsync("127.0.0.6", scp.Port);
        var request = RawAssociation.Request(DicomUids.VerificationSopClass).Encode(request: true);
        var closed = false;
        var stream = trickle.GetStream();
        for (var i = 0; i < request.Length - 1 && !closed; i++)
        {
            try
            {
                await stream.WriteAsync(request.AsMemory(i, 1));
                await Task.Delay(TimeSpan.FromMilliseconds(400)); // the attacker's pace: one byte, well inside Scp:TimeoutSeconds
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed || await ClosedAsync(trickle, TimeSpan.FromSeconds(1)), "a trickled association request was waited for past the associate timeout");

        // Waiting connections have a ceiling of their own, whatever their addresses.
        await using var few = Start(new StoreScpOptions { AeTitle = "MURA", MaxPendingConnections = 2, AssociateTimeoutSeconds = 30 });
        using var first = await FromAsync("127.0.0.7", few.Port);
        using var second = await FromAsync("127.0.0.8", few.Port);
        Assert.True(await RefusedAsync("127.0.0.9", few.Port), "a connection over Scp:MaxPendingConnections was kept");
        Assert.Contains(_log.Lines, l => l.Contains("Scp:MaxPendingConnections", StringComparison.Ordinal));
    }

    /// <summary>A TCP connection to the receiver from <paramref name="source"/>, another loopback address.</summary>
    private static async Task<TcpClient> FromAsync(string source, int port)
    {
        var client = new TcpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(source), 0));
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        return client;
    }

    /// <summary>Whether a connection from <paramref name="source"/> is closed unanswered (reset while connecting, or at once after).</summary>
    private static async Task<bool> RefusedAsync(string source, int port)
    {
        TcpClient client;
        try
        {
            client = await FromAsync(source, port);
        }
        catch (SocketException)
        {
            return true;
        }

        using (client)
        {
            return await ClosedAsync(client, TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Whether the receiver closes the connection (end of stream or reset) within <paramref name="within"/>.</summary>
    private static async Task<bool> ClosedAsync(TcpClient client, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[256];
        try
        {
            while (await client.GetStream().ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task On_a_full_disk_each_instance_is_refused_with_A700_in_an_association_that_goes_on_and_is_stored_when_sent_again()
    {
        // The receiver's folder on a small filesystem of its own (root mounts it, as CI runs), filled to its last page.
        var disk = Directory.CreateDirectory(Path.Combine(_dir, "disk")).FullName;
        var mount = Peers.Run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk);
        Assert.True(mount.ExitCode == 0, $"mounting a tmpfs needs root: {mount.Stderr}");
        try
        {
            var inbox = Path.Combine(disk, "inbox");
            var log = new ListLogger();
            await using (var scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", TimeoutSeconds = 10 }, inbox, log))
            {
                scp.Start();
                var filler = Path.Combine(disk, "filler");
                var dd = Peers.Run("dd", "if=/dev/zero", $"of={filler}", "bs=4k");
                Assert.Contains("No space left", dd.Stderr, StringComparison.Ordinal);
                var files = WritePhantoms(1, seed: 45);
                var port = scp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                string Send(string report)
                {
                    Peers.Run("dcmsend", ["-aet", "DCMSEND", "-aec", "MURA", "-nh", "+crf", report, "127.0.0.1", port, .. files], null, null);
                    return File.ReadAllText(report);
                }

                // One association: every instance answered, each with A700 (not an abort after the first).
                var refused = Send(Path.Combine(_dir, "full.txt"));
                Assert.Equal(files.Count, System.Text.RegularExpressions.Regex.Count(refused, @"DIMSE Status  : 0xa700", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
                Assert.Contains("Number of associations   : 1", refused, StringComparison.Ordinal);
                Assert.Contains(log.Lines, l => l.Contains("No space left on device", StringComparison.Ordinal));
                Assert.Empty(Directory.GetFiles(inbox, "*", SearchOption.AllDirectories));

                File.Delete(filler);
                var stored = Send(Path.Combine(_dir, "again.txt"));
                Assert.Equal(files.Count, System.Text.RegularExpressions.Regex.Count(stored, @"DIMSE Status  : 0x0000 \(Success\)"));
                Assert.Equal(files.Count, Directory.GetFiles(inbox, "*.dcm", SearchOption.AllDirectories).Length);
                Assert.Empty(Directory.GetFiles(inbox, "*.part", SearchOption.AllDirectories));
            }
        }
        finally
        {
            Peers.Run("umount", "-l", disk);
        }
    }

    /// <summary>A hand-driven association for sending what a well-behaved requester never would.</summary>
    private sealed class RawAssociation : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;

        private RawAssociation(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
        }

        public static async Task<RawAssociation> ConnectAsync(int port)
        {
            var c = new TcpClient();
            await c.ConnectAsync("127.0.0.1", port);
            return new RawAssociation(c);
        }

        public static AssociationPdu Request(string sopClass)
        {
            var rq = new AssociationPdu { CalledAe = "MURA", CallingAe = "FUZZ", MaxPduLength = 65536 };
            rq.Contexts.Add(new PresentationContext { Id = 1, AbstractSyntax = sopClass, TransferSyntaxes = [DicomUids.ExplicitVrLittleEndian, DicomUids.ImplicitVrLittleEndian] });
            return rq;
        }

        public static async Task<RawAssociation> OpenAsync(int port, string sopClass)
        {
            var raw = await ConnectAsync(port);
            await raw.SendAsync(Request(sopClass).Encode(request: true));
            var ac = await raw.ReadPduAsync();
            Assert.Equal(PduType.AssociateAc, ac?.Type);
            return raw;
        }

        /// <summary>Association request, one C-STORE (command and data set) and a release request, as one byte stream.</summary>
        public static byte[] Script(string sopClass, DicomFile header, byte[] dataSet)
        {
            var cmd = new DimseCommand { CommandField = DimseCommand.CStoreRq, MessageId = 1, AffectedSopClass = sopClass, AffectedSopInstance = header.Dataset.GetString(DicomTag.SopInstanceUid)!, DataSetType = 0 };
            using var ms = new MemoryStream();
            ms.Write(Request(sopClass).Encode(request: true));
            ms.Write(Pdu.PData(1, true, true, cmd.Encode()));
            for (var at = 0; at < dataSet.Length; at += 16_000)
            {
                var n = Math.Min(16_000, dataSet.Length - at);
                ms.Write(Pdu.PData(1, false, at + n >= dataSet.Length, dataSet.AsSpan(at, n)));
            }

            ms.Write(Pdu.ReleaseRequest());
            return ms.ToArray();
        }

        public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

        public async Task<(PduType Type, byte[] Body)?> ReadPduAsync(TimeSpan? timeout = null)
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
            return await Pdu.ReadAsync(_stream, 1 << 20, cts.Token);
        }

        public async Task<DimseCommand> ReadResponseAsync()
        {
            var pdu = await ReadPduAsync();
            Assert.Equal(PduType.PData, pdu?.Type);
            return DimseCommand.Parse(Pdu.Pdvs(pdu!.Value.Body).Single().Data.Span);
        }

        /// <summary>Reads whatever comes back until the receiver closes or goes quiet.</summary>
        public async Task DrainAsync(TimeSpan quiet)
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    using var cts = new CancellationTokenSource(quiet);
                    if (await _stream.ReadAsync(buffer, cts.Token) == 0)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Quiet: the receiver waits for more, and its timeout will end the association.
            }
        }

        public ValueTask DisposeAsync()
        {
            _stream.Dispose();
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
