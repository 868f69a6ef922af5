namespace MuraPipeline.Dicom.Network;

/// <summary>
/// One instance being received over DIMSE, the same whether a peer pushed it (C-STORE to our receiver, a C-MOVE's
/// sub-operation) or we asked for it (a C-GET's sub-operation on our own association). Its bytes go to a hidden
/// <c>.part</c> file as they arrive; <see cref="CommitAsync"/> flushes it to disk, parses it whole, checks its SOP Instance UID and
/// renames it to <c>RECEIVE/AE/UID.dcm</c> with the directory synced, and only then is success sent back. Whatever
/// goes wrong becomes a refusal status with a reason, never an exception out of the association.
/// </summary>
public sealed class IncomingInstance : IDisposable
{
    private readonly string _receiveDir;
    private readonly DimseCommand _command;
    private readonly string _syntax;
    private FileStream? _partial;
    private string? _partialPath;
    private ushort? _refusal;
    private string? _reason;

    private IncomingInstance(string receiveDir, DimseCommand command, string syntax)
    {
        _receiveDir = receiveDir;
        _command = command;
        _syntax = syntax;
    }

    public DimseCommand Command => _command;

    /// <summary>
    /// Starts receiving the data set of <paramref name="command"/> (a C-STORE-RQ) sent on a context for
    /// <paramref name="contextSopClass"/> in <paramref name="syntax"/>; with a <paramref name="refusal"/> (no room to
    /// store it) nothing is written and the instance is refused with Out of Resources.
    /// </summary>
    public static async Task<IncomingInstance> BeginAsync(string receiveDir, DimseCommand command, string contextSopClass, string syntax, CancellationToken ct, string? refusal = null)
    {
        var incoming = new IncomingInstance(receiveDir, command, syntax);
        if (refusal is not null)
        {
            incoming.Refuse(DimseCommand.RefusedOutOfResources, refusal);
            return incoming;
        }

        if (!string.Equals(command.AffectedSopClass, contextSopClass, StringComparison.Ordinal))
        {
            incoming.Refuse(DimseCommand.ErrorDataSetDoesNotMatchSopClass, $"SOP class {command.AffectedSopClass} was sent on the context for {contextSopClass}");
            return incoming;
        }

        try
        {
            Directory.CreateDirectory(receiveDir);
            incoming._partialPath = Path.Combine(receiveDir, $".receiving-{Guid.NewGuid():N}.part");
            incoming._partial = new FileStream(incoming._partialPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var header = new MemoryStream();
            DicomWriter.WriteMetaHeader(header, DicomWriter.CreateMeta(command.AffectedSopClass, command.AffectedSopInstance, syntax));
            await incoming._partial.WriteAsync(header.GetBuffer().AsMemory(0, (int)header.Length), ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            incoming.Refuse(DimseCommand.RefusedOutOfResources, $"cannot write the instance: {ex.Message}");
        }

        return incoming;
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (_partial is null)
        {
            return;
        }

        try
        {
            await _partial.WriteAsync(data, ct);
        }
        catch (IOException ex)
        {
            Refuse(DimseCommand.RefusedOutOfResources, $"cannot write the instance: {ex.Message}");
        }
    }

    /// <summary>Makes the instance durable under <c>RECEIVE/<paramref name="folder"/>/</c>; the response to send and, on success, where the file is.</summary>
    public async Task<(DimseCommand Response, string? Path, string? Reason)> CommitAsync(string folder, CancellationToken ct)
    {
        if (_refusal is null && _partial is not null)
        {
            try
            {
                await _partial.FlushAsync(ct);
                _partial.Flush(flushToDisk: true);
                await _partial.DisposeAsync();
                _partial = null;
                // The whole data set is parsed (pixel data included, not decoded) before success: an instance the ingest
                // could not read is refused here, where the sender hears why and can send it again.
                string? uid;
                using (var whole = DicomFile.OpenPooled(_partialPath!))
                {
                    uid = whole.File.Dataset.GetString(DicomTag.SopInstanceUid);
                }

                if (!string.Equals(uid, _command.AffectedSopInstance, StringComparison.Ordinal))
                {
                    throw new DicomException($"the data set's SOP Instance UID {uid ?? "(none)"} is not the command's {_command.AffectedSopInstance}");
                }

                var target = Place(folder, _command.AffectedSopInstance);
                File.Move(_partialPath!, target);
                _partialPath = null;
                FileSync.Directory(Path.GetDirectoryName(target)!);
                return (_command.Response(DimseCommand.Success), target, null);
            }
            catch (DicomException ex)
            {
                Refuse(DimseCommand.ErrorCannotUnderstand, $"cannot understand the data set: {ex.Message}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Refuse(DimseCommand.RefusedOutOfResources, $"cannot store the instance: {ex.Message}");
            }
        }

        Dispose();
        var status = _refusal ?? DimseCommand.RefusedOutOfResources;
        var reason = _reason ?? "unknown";
        return (_command.Response(status, reason), null, reason);
    }

    /// <summary>The transfer syntax the data set arrives in.</summary>
    public string TransferSyntax => _syntax;

    private void Refuse(ushort status, string reason)
    {
        _refusal ??= status;
        _reason ??= reason;
        Dispose();
    }

    /// <summary>RECEIVE/FOLDER/SOP_INSTANCE_UID.dcm, with a suffix when a file of that name is still waiting to be ingested.</summary>
    private string Place(string folder, string sopInstance)
    {
        var dir = Path.Combine(_receiveDir, SafeName(folder));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, SafeName(sopInstance) + ".dcm");
        return File.Exists(path) ? Path.Combine(dir, $"{SafeName(sopInstance)}-{Guid.NewGuid():N}.dcm") : path;
    }

    /// <summary>A name safe as one path segment: letters, digits, '.', '-' and '_', never leading with a dot.</summary>
    public static string SafeName(string s)
    {
        var clean = new string(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.');
        return clean.Length == 0 ? "_" : clean;
    }

    /// <summary>Drops the partial file, if any; a received and committed file stays.</summary>
    public void Dispose()
    {
        try
        {
            // Closing flushes what the stream still buffers; on a full disk that throws, and the bytes are being thrown
            // away anyway (the handle is closed all the same).
            _partial?.Dispose();
        }
        catch (IOException)
        {
        }

        _partial = null;
        if (_partialPath is not null)
        {
            try
            {
                File.Delete(_partialPath);
            }
            catch (IOException)
            {
                // Left behind as a hidden .part file; the watcher never reads hidden files.
            }

            _partialPath = null;
        }
    }
}
