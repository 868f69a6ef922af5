namespace MuraPipeline.Dicom;

/// <summary>A file read into a pooled buffer (<see cref="DicomFile.OpenPooled"/>); disposing returns the buffer, after which the file's values must not be used.</summary>
public sealed class DicomFileLease(DicomFile file, byte[] buffer) : IDisposable
{
    private byte[]? _buffer = buffer;

    public DicomFile File { get; } = file;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b)
        {
            DicomFile.Buffers.Return(b);
        }
    }
}
