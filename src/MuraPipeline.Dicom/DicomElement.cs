namespace MuraPipeline.Dicom;

/// <summary>One data element: its tag, VR and value (little-endian bytes), items of a sequence, or fragments of encapsulated pixel data.</summary>
public sealed class DicomElement
{
    public DicomElement(DicomTag tag, string vr, ReadOnlyMemory<byte> value)
    {
        Tag = tag;
        Vr = vr;
        Value = value;
    }

    public DicomTag Tag { get; }

    public string Vr { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Items when <see cref="Vr"/> is SQ.</summary>
    public IReadOnlyList<DicomDataset>? Items { get; init; }

    /// <summary>Fragments of encapsulated pixel data; the first is the basic offset table.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>>? Fragments { get; init; }
}
