using System.Buffers;

namespace MuraPipeline.Dicom;

/// <summary>A DICOM Part-10 file: its file meta information and its data set.</summary>
public sealed class DicomFile
{
    public DicomFile(DicomDataset meta, DicomDataset dataset)
        : this(meta, dataset, bareSyntax: null)
    {
    }

    /// <summary>A file read from a bare data set (no preamble or meta): <paramref name="bareSyntax"/> is the syntax its bytes showed.</summary>
    public DicomFile(DicomDataset meta, DicomDataset dataset, string? bareSyntax)
    {
        Meta = meta;
        Dataset = dataset;
        _bareSyntax = bareSyntax;
    }

    /// <summary>
    /// The file buffers' own pool: a few arrays a size, whichever thread took them (the shared pool would keep one of
    /// these large arrays per thread that ever read a file).
    /// </summary>
    internal static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(1 << 30, Math.Max(4, Environment.ProcessorCount * 2));

    private readonly string? _bareSyntax;

    public DicomDataset Meta { get; }

    public DicomDataset Dataset { get; }

    public string TransferSyntaxUid => Meta.GetString(DicomTag.TransferSyntaxUid) ?? _bareSyntax ?? DicomUids.ImplicitVrLittleEndian;

    /// <summary>Reads a whole file, pixel data included.</summary>
    public static DicomFile Open(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new DicomException($"cannot read file: {ex.Message}", ex);
        }

        return DicomReader.Read(bytes, stopAtPixelData: false);
    }

    /// <summary>
    /// Reads a whole file into a pooled buffer (<see cref="Buffers"/>), for a caller that is done with it (every value, the
    /// pixel data included, is a slice of that buffer) when it disposes the lease: the hot path reads a large image
    /// without a fresh large-object array (and its page faults) per file.
    /// </summary>
    public static DicomFileLease OpenPooled(string path)
    {
        byte[]? buffer = null;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
            {
                throw new DicomException($"file is {length} bytes, larger than this reader accepts");
            }

            buffer = Buffers.Rent((int)Math.Max(length, 1));
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            var lease = new DicomFileLease(DicomReader.Read(buffer.AsMemory(0, read), stopAtPixelData: false), buffer);
            buffer = null;
            return lease;
        }
        catch (IOException ex)
        {
            throw new DicomException($"cannot read file: {ex.Message}", ex);
        }
        finally
        {
            if (buffer is not null)
            {
                Buffers.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Reads the attributes before the pixel data, touching only the start of the file where it can: 16 KB, then
    /// 256 KB (large private blocks), then the whole file, until the parse reaches the pixel data. The pixel data
    /// element, if reached, is absent from the result.
    /// </summary>
    public static DicomFile OpenHeader(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        foreach (var probe in (ReadOnlySpan<int>)[16 * 1024, 256 * 1024])
        {
            if (fs.Length <= probe)
            {
                break;
            }

            var head = new byte[probe];
            fs.Position = 0;
            fs.ReadExactly(head);
            try
            {
                // A head that ends on an element's boundary parses, but may lack what comes after: only a parse that
                // reached the pixel data has every attribute.
                if (DicomReader.ReadHeader(head, out var complete) is var file && complete)
                {
                    return file;
                }
            }
            catch (DicomTruncatedException)
            {
                // The header runs past the probe: a larger one.
            }
        }

        var all = new byte[fs.Length];
        fs.Position = 0;
        fs.ReadExactly(all);
        return ReadWhole(all);
    }

    private static DicomFile ReadWhole(byte[] all)
    {
        try
        {
            return DicomReader.Read(all, stopAtPixelData: true);
        }
        catch (DicomTruncatedException ex)
        {
            throw new DicomException($"file is truncated: {ex.Message}", ex);
        }
    }

    public void Save(string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        DicomWriter.Write(fs, this);
    }
}
