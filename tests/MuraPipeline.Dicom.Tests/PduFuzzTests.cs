using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MuraPipeline.Dicom.Network;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// Seeded fuzzing of the receiver with <see cref="Fuzz.Cases"/> mutated PDU streams (flipped bytes, PDU and item lengths
/// set wrong, PDU types swapped, truncated, spliced, repeated and padded streams built from a C-ECHO, a C-STORE and a
/// two-instance association), eight connections at a time. Every stream ends (the receiver answers, aborts or sees the
/// end of our half), no association ends in an unexpected exception (an Error line), nothing half-received is left, every
/// stored file opens, and the receiver still answers.
/// </summary>
public sealed partial class PduFuzzTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Peers.TempDir();
    private readonly ListLogger _log = new();
    private StoreScp _scp = null!;

    private string Inbox => Path.Combine(_dir, "inbox");

    public Task InitializeAsync()
    {
        _scp = new StoreScp(new StoreScpOptions { AeTitle = "MURA", TimeoutSeconds = 3, MaxAssociations = 64 }, Inbox, _log);
        _scp.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _scp.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Mutated_pdu_streams_end_cleanly_and_leave_the_receiver_serving()
    {
        var scripts = Scripts();
        var cases = Fuzz.Cases;
        var byPort = new ConcurrentDictionary<int, int>();
        var outcomes = new ConcurrentDictionary<string, int>();
        var hung = new ConcurrentBag<string>();
        var next = -1;
        var started = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < cases; i = Interlocked.Increment(ref next))
            {
                var bytes = Mutate(scripts, new Random(Fuzz.Seed + i));
                var outcome = await PlayAsync(bytes, port => byPort[port] = i);
                if (outcome is null)
                {
                    hung.Add(Fuzz.Keep("pdu", i, bytes));
                }
                else
                {
                    outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                }
            }
        })));
        var elapsed = DateTime.UtcNow - started;
        output.WriteLine($"{cases} streams (seed {Fuzz.Seed}) in {elapsed.TotalSeconds:0.0} s: {string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}");

        Assert.True(hung.IsEmpty, $"streams the receiver never ended (kept): {string.Join(", ", hung.Take(5))}");
        await Eventually.UntilAsync(() => _scp.ActiveAssociations == 0, TimeSpan.FromSeconds(30), "every association to close");
        var errors = _log.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        var kept = errors.Select(l => PeerPort().Match(l)).Where(m => m.Success && byPort.ContainsKey(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Select(m => byPort[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]).Distinct().Take(5)
            .Select(i => Fuzz.Keep("pdu", i, Mutate(scripts, new Random(Fuzz.Seed + i)))).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} associations ended in an unexpected exception, first: {errors.FirstOrDefault()}; inputs kept: {string.Join(", ", kept)}");
        Assert.Empty(Directory.Exists(Inbox) ? Directory.GetFiles(Inbox, ".*", SearchOption.AllDirectories) : []);
        var stored = Directory.Exists(Inbox) ? Directory.GetFiles(Inbox, "*", SearchOption.AllDirectories) : [];
        Assert.All(stored, f => DicomFile.Open(f));

        // The fuzzer reached every stage: instances stored, associations released, rejected and aborted.
        Assert.True(stored.Length > cases / 100, $"only {stored.Length} instances stored");
        foreach (var kind in new[] { "released", "rejected", "aborted" })
        {
            Assert.True(outcomes.GetValueOrDefault(kind) > cases / 200, $"{kind}: {outcomes.GetValueOrDefault(kind)}");
        }

        Assert.Equal(DimseCommand.Success, await new DicomClient("127.0.0.1", _scp.Port, "AFTER", "MURA").EchoAsync(default));
    }


    [Fact]
    public async Task Kept_pdu_streams_that_once_failed_end_cleanly()
    {
        foreach (var path in Fuzz.Corpus("pdu"))
        {
            Assert.NotNull(await PlayAsync(await File.ReadAllBytesAsync(path), _ => { }));
        }

        await Eventually.UntilAsync(() => _scp.ActiveAssociations == 0, TimeSpan.FromSeconds(30), "every association to close");
        Assert.DoesNotContain(_log.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));

        // stored-unreadable-*: a data set mangled after its header was once stored with success; now it is refused.
        Assert.All(Directory.Exists(Inbox) ? Directory.GetFiles(Inbox, "*", SearchOption.AllDirectories) : [], f => DicomFile.Open(f));
        Assert.Contains(_log.Lines, l => l.Contains("failed with status 0xC000: cannot understand the data set", StringComparison.Ordinal));
        Assert.Equal(DimseCommand.Success, await new DicomClient("127.0.0.1", _scp.Port, "AFTER", "MURA").EchoAsync(default));
    }

    /// <summary>Sends the stream, closes our half and reads until the receiver closes; what it answered last, or null if it never ended.</summary>
    private async Task<string?> PlayAsync(byte[] bytes, Action<int> connected)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, _scp.Port);
        connected(((IPEndPoint)client.Client.LocalEndPoint!).Port);
        var stream = client.GetStream();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await stream.WriteAsync(bytes, deadline.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The receiver closed on us mid-stream: it aborted, as it should.
        }

        var answer = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // Reset after an abort.
        }

        return Classify(answer.ToArray());
    }

    /// <summary>The last thing the receiver said: released, rejected, aborted, answered (P-DATA, then closed at our end of stream) or nothing.</summary>
    private static string Classify(byte[] answer)
    {
        var last = "closed";
        for (var at = 0; at + 6 <= answer.Length;)
        {
            last = answer[at] switch
            {
                (byte)PduType.AssociateRj => "rejected",
                (byte)PduType.ReleaseRp => "released",
                (byte)PduType.Abort => "aborted",
                (byte)PduType.PData => "answered",
                (byte)PduType.AssociateAc => "associated",
                _ => "other",
            };
            at += 6 + (int)BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(at + 2));
        }

        return last;
    }

    /// <summary>Three valid streams: a C-ECHO; a C-STORE; an association of three contexts carrying two C-STOREs.</summary>
    private List<(byte[] Bytes, List<int> Pdus)> Scripts()
    {
        var dir = Path.Combine(_dir, "phantoms");
        PhantomWriter.WriteAll(new PhantomGenerator(83, minSide: 96, maxSide: 120), 1, dir, PhantomFormat.Dicom);
        var files = Directory.GetFiles(dir, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(2).ToList();
        var sets = files.Select(f =>
        {
            var bytes = File.ReadAllBytes(f);
            return (Header: DicomFile.OpenHeader(f), DataSet: bytes[DicomReader.DataSetOffset(bytes)..]);
        }).ToList();

        var echo = new Script(DicomUids.VerificationSopClass);
        echo.Command(1, new DimseCommand { CommandField = DimseCommand.CEchoRq, MessageId = 1, AffectedSopClass = DicomUids.VerificationSopClass, DataSetType = 0x0101 });
        var store = new Script(sets[0].Header.Dataset.GetString(DicomTag.SopClassUid)!);
        store.Store(1, 1, sets[0].Header, sets[0].DataSet);
        var two = new Script(sets[0].Header.Dataset.GetString(DicomTag.SopClassUid)!, DicomUids.VerificationSopClass, "1.2.840.10008.5.1.4.1.1.2");
        two.Store(1, 1, sets[0].Header, sets[0].DataSet);
        two.Store(1, 2, sets[^1].Header, sets[^1].DataSet);
        return [echo.End(), store.End(), two.End()];
    }

    private sealed class Script
    {
        private readonly MemoryStream _bytes = new();
        private readonly List<int> _pdus = [];

        public Script(params string[] sopClasses)
        {
            var rq = new AssociationPdu { CalledAe = "MURA", CallingAe = "FUZZ", MaxPduLength = 16384 };
            for (var i = 0; i < sopClasses.Length; i++)
            {
                rq.Contexts.Add(new PresentationContext { Id = (byte)((2 * i) + 1), AbstractSyntax = sopClasses[i], TransferSyntaxes = [DicomUids.ExplicitVrLittleEndian, DicomUids.ImplicitVrLittleEndian] });
            }

            Add(rq.Encode(request: true));
        }

        public void Command(byte context, DimseCommand cmd) => Add(Pdu.PData(context, true, true, cmd.Encode()));

        public void Store(byte context, ushort messageId, DicomFile header, byte[] dataSet)
        {
            Command(context, new DimseCommand { CommandField = DimseCommand.CStoreRq, MessageId = messageId, AffectedSopClass = header.Dataset.GetString(DicomTag.SopClassUid)!, AffectedSopInstance = header.Dataset.GetString(DicomTag.SopInstanceUid)!, DataSetType = 0 });
            for (var at = 0; at < dataSet.Length; at += 8000)
            {
                var n = Math.Min(8000, dataSet.Length - at);
                Add(Pdu.PData(context, false, at + n >= dataSet.Length, dataSet.AsSpan(at, n)));
            }
        }

        public (byte[] Bytes, List<int> Pdus) End()
        {
            Add(Pdu.ReleaseRequest());
            return (_bytes.ToArray(), _pdus);
        }

        private void Add(byte[] pdu)
        {
            _pdus.Add((int)_bytes.Length);
            _bytes.Write(pdu);
        }
    }

    /// <summary>One mutated stream; the same <paramref name="rng"/> state gives the same stream.</summary>
    private static byte[] Mutate(List<(byte[] Bytes, List<int> Pdus)> scripts, Random rng)
    {
        var (source, pdus) = scripts[rng.Next(scripts.Count)];
        var bytes = (byte[])source.Clone();
        var rounds = rng.Next(1, 4);
        for (var r = 0; r < rounds; r++)
        {
            var pdu = pdus[rng.Next(pdus.Count)];
            switch (rng.Next(8))
            {
                case 0:
                    // Bytes flipped, mostly where the structure is: PDU headers, items, the command set.
                    for (var m = rng.Next(1, 9); m > 0 && bytes.Length > 0; m--)
                    {
                        var at = rng.Next(2) == 0 ? Math.Min(bytes.Length - 1, pdu + rng.Next(64)) : rng.Next(bytes.Length);
                        bytes[at] = (byte)rng.Next(256);
                    }

                    break;
                case 1:
                    // A PDU length set wrong: huge, zero, one off, or random.
                    if (pdu + 6 <= bytes.Length)
                    {
                        var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pdu + 2));
                        uint[] choices = [0, 1, length - 1, length + 1, 0xFFFFFFFF, 0x7FFFFFFF, (uint)rng.Next(), 0x10000];
                        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(pdu + 2), choices[rng.Next(choices.Length)]);
                    }

                    break;
                case 2:
                    // An item or PDV length inside a PDU set wrong (16-bit item lengths in association PDUs, 32-bit PDV lengths).
                    if (pdu + 16 <= bytes.Length)
                    {
                        var at = pdu + 6 + rng.Next(Math.Min(200, bytes.Length - pdu - 10));
                        if (rng.Next(2) == 0)
                        {
                            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), (ushort)(rng.Next(3) switch { 0 => 0, 1 => 0xFFFF, _ => rng.Next(65536) }));
                        }
                        else
                        {
                            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), rng.Next(3) switch { 0 => 0u, 1 => 0xFFFFFFFFu, _ => (uint)rng.Next() });
                        }
                    }

                    break;
                case 3:
                    // A PDU type replaced.
                    if (pdu < bytes.Length)
                    {
                        bytes[pdu] = (byte)rng.Next(0, 10);
                    }

                    break;
                case 4:
                    bytes = bytes[..rng.Next(bytes.Length + 1)];
                    break;
                case 5:
                    // A PDU repeated (a second association request, a data PDV twice, a release too soon).
                    if (pdu < bytes.Length)
                    {
                        var end = pdus.FirstOrDefault(p => p > pdu, bytes.Length);
                        end = Math.Min(end, bytes.Length);
                        var at = pdus[rng.Next(pdus.Count)];
                        at = Math.Min(at, bytes.Length);
                        bytes = [.. bytes[..at], .. bytes[pdu..end], .. bytes[at..]];
                    }

                    break;
                case 6:
                    // Random bytes inserted or a stretch cut out.
                    {
                        var at = rng.Next(bytes.Length + 1);
                        if (rng.Next(2) == 0)
                        {
                            var junk = new byte[rng.Next(1, 65)];
                            rng.NextBytes(junk);
                            bytes = [.. bytes[..at], .. junk, .. bytes[at..]];
                        }
                        else
                        {
                            var cut = Math.Min(bytes.Length - at, rng.Next(1, 200));
                            bytes = [.. bytes[..at], .. bytes[(at + cut)..]];
                        }
                    }

                    break;
                default:
                    // Spliced: this stream's start, another's rest.
                    {
                        var (other, _) = scripts[rng.Next(scripts.Count)];
                        var a = rng.Next(bytes.Length + 1);
                        var b = rng.Next(other.Length + 1);
                        bytes = [.. bytes[..a], .. other[b..]];
                    }

                    break;
            }
        }

        return bytes;
    }

    [GeneratedRegex(@"association from 127\.0\.0\.1:(\d+)")]
    private static partial Regex PeerPort();
}
