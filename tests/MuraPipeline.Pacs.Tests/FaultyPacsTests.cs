using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs.Tests;

/// <summary>
/// A PACS that misbehaves on purpose, one way per study: a malformed C-FIND response, a C-FIND match that is not a
/// UID, and a connection dropped in the middle of a C-GET's instance. Each of those studies ends failed with a
/// reason an operator can read, after its attempts; the job goes on and the well-behaved study arrives.
/// </summary>
public sealed class FaultyPacsTests : IAsyncLifetime
{
    private const string Malformed = "2.25.1001";
    private const string NotAUid = "2.25.1002";
    private const string Drops = "2.25.1003";
    private const string Short = "2.25.1004";
    private PullFixture _pull = null!;
    private FaultyPacs _pacs = null!;
    private string _goodStudy = null!;
    private string _goodFile = null!;

    public async Task InitializeAsync()
    {
        _pull = await PullFixture.StartAsync(new Dictionary<string, string?>());
        var (uid, files) = _pull.Phantoms(1, seed: 1818, "phantoms").Single();
        _goodStudy = uid;
        _goodFile = files[0];
        _pacs = new FaultyPacs(_goodStudy, _goodFile);
    }

    public async Task DisposeAsync()
    {
        await _pacs.DisposeAsync();
        await _pull.DisposeAsync();
    }

    [Fact]
    public async Task Each_broken_study_fails_with_its_reason_and_the_job_goes_on()
    {
        var options = _pull.Services.GetRequiredService<IOptions<PacsOptions>>().Value;
        options.Nodes["faulty"] = new PacsNode { AeTitle = "FAULTY", Host = "127.0.0.1", Port = _pacs.Port, Retrieve = "get" };
        options.MaxAttempts = 2;
        options.RetryDelaySeconds = 0;
        options.TimeoutSeconds = 5;
        var studies = new[] { Malformed, NotAUid, Drops, Short, _goodStudy }.Select(u => new StudyMatch(u, "20240101", null, null, ["CR"], null, null, [])).ToList();
        var job = await _pull.RecordAsync("faulty", "get", studies);
        var summary = await _pull.Services.GetRequiredService<Puller>().RunAsync(job.Id, default);
        Assert.Equal((1, 4), (summary.Received, summary.Failed));

        var rows = (await _pull.StudiesAsync(job.Id)).ToDictionary(r => r.StudyInstanceUid);
        Assert.Equal((PullStudyState.Received, 1, 1), (rows[_goodStudy].State, rows[_goodStudy].Retrieved, rows[_goodStudy].Attempts));
        foreach (var bad in new[] { Malformed, NotAUid, Drops })
        {
            Assert.Equal((PullStudyState.Failed, 2), (rows[bad].State, rows[bad].Attempts));
            Assert.Contains("attempt 2 of 2; failed", rows[bad].Reason, StringComparison.Ordinal);
        }

        Assert.Contains("truncated", rows[Malformed].Reason, StringComparison.Ordinal);
        Assert.Contains("'not-a-uid', not a UID", rows[NotAUid].Reason, StringComparison.Ordinal);
        Assert.Contains("connection", rows[Drops].Reason, StringComparison.OrdinalIgnoreCase);

        // A retrieve the PACS calls successful with fewer instances than its series count said is tried again, then ends incomplete, never received.
        Assert.Equal((PullStudyState.Incomplete, 2, 0), (rows[Short].State, rows[Short].Attempts, rows[Short].Retrieved));
        Assert.True(rows[Short].Reason!.Contains("0 of the 1 instances its query listed arrived (attempt 2 of 2; incomplete)", StringComparison.Ordinal), rows[Short].Reason);

        // Only the good instance is in the watched folder: the dropped one left no file (its partial file is gone too).
        var files = Directory.GetFiles(_pull.Watch, "*", SearchOption.AllDirectories);
        var arrived = Assert.Single(files);
        Assert.Equal(DicomFile.OpenHeader(_goodFile).Dataset.GetString(DicomTag.SopInstanceUid), DicomFile.OpenHeader(arrived).Dataset.GetString(DicomTag.SopInstanceUid));
    }

    /// <summary>A Q/R SCP scripted per study.</summary>
    private sealed class FaultyPacs : ScriptedScp
    {
        private readonly string _goodStudy;
        private readonly string _goodFile;

        public FaultyPacs(string goodStudy, string goodFile)
        {
            _goodStudy = goodStudy;
            _goodFile = goodFile;
            Start();
        }

        protected override async Task HandleAsync(NetworkStream s, AssociationPdu ac, byte context, DimseCommand cmd, byte[]? identifier, CancellationToken ct)
        {
            var query = DicomReader.ReadDataset(identifier!, DicomUids.ImplicitVrLittleEndian);
            var study = query.GetString(DicomTag.StudyInstanceUid);
            if (cmd.CommandField == DimseCommand.CFindRq)
            {
                var match = new DicomDataset();
                match.AddString(DicomTag.StudyInstanceUid, "UI", study!);
                match.AddString(DicomTag.SeriesInstanceUid, "UI", study == NotAUid ? "not-a-uid" : study + ".1");
                match.AddString(DicomTag.Modality, "CS", "CR");
                if (study == Short)
                {
                    match.AddString(Tags.NumberOfSeriesRelatedInstances, "IS", "1");
                }

                var bytes = DicomWriter.EncodeDataset(match);
                if (study == Malformed)
                {
                    bytes = bytes[..^5]; // the last element's value cut short
                }

                await SendAsync(s, context, new DimseCommand { CommandField = DimseCommand.CFindRsp, RespondingTo = cmd.MessageId, AffectedSopClass = cmd.AffectedSopClass, DataSetType = 0, Status = DimseCommand.Pending }, bytes, ct);
                await FindResponseAsync(s, context, cmd, null, DimseCommand.Success, ct);
                return;
            }

            if (study == Short)
            {
                // Success, with nothing sent.
                await SendAsync(s, context, new DimseCommand { CommandField = DimseCommand.CGetRsp, RespondingTo = cmd.MessageId, AffectedSopClass = cmd.AffectedSopClass, Status = DimseCommand.Success, Remaining = 0, Completed = 0, Failed = 0, Warning = 0 }, null, ct);
                return;
            }

            // C-GET: one C-STORE sub-operation with the good file, on the context the requester offered for its class and syntax.
            var file = await File.ReadAllBytesAsync(_goodFile, ct);
            var header = DicomFile.OpenHeader(_goodFile);
            var sop = header.Meta.GetString(DicomTag.MediaStorageSopClassUid)!;
            var storeContext = ac.Contexts.First(pc => pc.AbstractSyntax == sop && pc.AcceptedTransferSyntax == header.TransferSyntaxUid).Id;
            var store = new DimseCommand
            {
                CommandField = DimseCommand.CStoreRq, MessageId = 77, AffectedSopClass = sop, DataSetType = 0,
                AffectedSopInstance = header.Dataset.GetString(DicomTag.SopInstanceUid)!,
            };
            var data = file.AsMemory(DicomReader.DataSetOffset(file));
            if (study == Drops)
            {
                await s.WriteAsync(Pdu.PData(storeContext, command: true, last: true, store.Encode()), ct);
                await s.WriteAsync(Pdu.PData(storeContext, command: false, last: false, data.Span[..(data.Length / 2)]), ct);
                throw new IOException("the PACS goes away half way through the instance");
            }

            await SendAsync(s, storeContext, store, data.ToArray(), ct);
            var (_, stored, _) = await ReadMessageAsync(s, ct);
            var ok = stored?.Status == DimseCommand.Success;
            await SendAsync(s, context, new DimseCommand
            {
                CommandField = DimseCommand.CGetRsp, RespondingTo = cmd.MessageId, AffectedSopClass = cmd.AffectedSopClass,
                Status = ok ? DimseCommand.Success : (ushort)0xB000, Remaining = 0, Completed = (ushort)(ok ? 1 : 0), Failed = (ushort)(ok ? 0 : 1), Warning = 0,
            }, null, ct);
        }
    }
}
