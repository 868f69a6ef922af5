namespace MuraPipeline.Dicom.Network;

/// <summary>
/// One open Study Root C-FIND association: queries go one after another (PS3.7 allows any number on one association),
/// so a search of thousands of narrow queries pays for one TCP and association set-up. Each match is handed to the
/// caller as it arrives; nothing is collected here.
/// </summary>
public sealed class FindAssociation : IAsyncDisposable
{
    private readonly DicomClient.Session _session;
    private readonly PresentationContext _context;
    private ushort _messageId;

    internal FindAssociation(DicomClient.Session session, PresentationContext context)
    {
        _session = session;
        _context = context;
    }

    /// <summary>
    /// One C-FIND: every pending match goes to <paramref name="onMatch"/>; the final status comes back (a failure or a
    /// cap is returned, not thrown). A malformed or out-of-turn response is a <see cref="DicomProtocolException"/>.
    /// </summary>
    public async Task<FindAnswer> FindAsync(DicomDataset identifier, Func<DicomDataset, ValueTask> onMatch, CancellationToken ct)
    {
        var cmd = new DimseCommand { CommandField = DimseCommand.CFindRq, MessageId = ++_messageId, AffectedSopClass = DicomUids.StudyRootFind, DataSetType = 0x0000 };
        var syntax = _session.SyntaxOf(_context);
        await _session.SendAsync(_context, cmd, DicomWriter.EncodeDataset(identifier, syntax), ct);
        var matches = 0;
        using var data = new MemoryStream();
        while (true)
        {
            var (contextId, response) = await _session.ReadCommandAsync(ct);
            if (response.CommandField != DimseCommand.CFindRsp || response.RespondingTo != cmd.MessageId)
            {
                throw new DicomProtocolException($"expected a C-FIND response to message {cmd.MessageId}, got command 0x{response.CommandField:X4}");
            }

            var status = response.Status ?? throw new DicomProtocolException("C-FIND response without a status");
            if (DimseCommand.IsPending(status))
            {
                if (!response.HasDataSet)
                {
                    throw new DicomProtocolException("pending C-FIND response without an identifier");
                }

                data.SetLength(0);
                await _session.ReadDataSetAsync(contextId, d => { data.Write(d.Span); return Task.CompletedTask; }, ct);
                matches++;
                await onMatch(DicomReader.ReadDataset(data.ToArray(), syntax));
                continue;
            }

            if (response.HasDataSet)
            {
                await _session.ReadDataSetAsync(contextId, _ => Task.CompletedTask, ct);
            }

            return new FindAnswer(status, response.ErrorComment, matches);
        }
    }

    public Task ReleaseAsync(CancellationToken ct) => _session.ReleaseAsync(ct);

    public ValueTask DisposeAsync() => _session.DisposeAsync();
}
