using System.Buffers.Binary;

namespace MuraPipeline.Dicom;

/// <summary>Writes Part-10 files; the data set in explicit or implicit VR little endian, native or encapsulated (the file meta is always explicit).</summary>
public static class DicomWriter
{
    public static void Write(Stream stream, DicomFile file)
    {
        var ts = file.TransferSyntaxUid;
        if (ts is DicomUids.ExplicitVrBigEndian or DicomUids.DeflatedExplicitVrLittleEndian)
        {
            throw new DicomException($"writing {DicomUids.Describe(ts)} is not supported; write Explicit or Implicit VR Little Endian or an encapsulated syntax");
        }

        // Every syntax but implicit VR little endian (the encapsulated ones included) writes its data set explicit VR little endian.
        var explicitVr = ts != DicomUids.ImplicitVrLittleEndian;

        WriteMetaHeader(stream, file.Meta);
        using var w = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true);
        foreach (var e in file.Dataset.Elements)
        {
            WriteElement(w, e, explicitVr);
        }
    }

    /// <summary>A bare data set (no preamble, no file meta), as a DIMSE message carries it.</summary>
    public static byte[] EncodeDataset(DicomDataset dataset, string transferSyntax = DicomUids.ImplicitVrLittleEndian)
    {
        if (transferSyntax is not (DicomUids.ImplicitVrLittleEndian or DicomUids.ExplicitVrLittleEndian))
        {
            throw new DicomException($"a bare data set is written in Implicit or Explicit VR Little Endian, not {DicomUids.Describe(transferSyntax)}");
        }

        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            foreach (var e in dataset.Elements)
            {
                WriteElement(w, e, transferSyntax == DicomUids.ExplicitVrLittleEndian);
            }
        }

        return ms.ToArray();
    }

    /// <summary>The preamble, "DICM" and the file meta group (its group length computed here).</summary>
    public static void WriteMetaHeader(Stream stream, DicomDataset meta)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true);
        w.Write(new byte[128]);
        w.Write("DICM"u8);

        using var metaBody = new MemoryStream();
        using (var mw = new BinaryWriter(metaBody, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            foreach (var e in meta.Elements.Where(e => e.Tag != DicomTag.FileMetaInformationGroupLength))
            {
                WriteElement(mw, e, explicitVr: true);
            }
        }

        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)metaBody.Length);
        WriteElement(w, new DicomElement(DicomTag.FileMetaInformationGroupLength, "UL", groupLength), explicitVr: true);
        w.Flush();
        metaBody.Position = 0;
        metaBody.CopyTo(stream);
    }

    /// <summary>The file meta group for a data set, as a Part-10 writer must produce it.</summary>
    public static DicomDataset CreateMeta(DicomDataset dataset, string transferSyntax = DicomUids.ExplicitVrLittleEndian) =>
        CreateMeta(
            dataset.GetString(DicomTag.SopClassUid) ?? throw new DicomException("data set has no SOP Class UID"),
            dataset.GetString(DicomTag.SopInstanceUid) ?? throw new DicomException("data set has no SOP Instance UID"),
            transferSyntax);

    /// <summary>The file meta group for an instance known by its UIDs (a received C-STORE, for one).</summary>
    public static DicomDataset CreateMeta(string sopClassUid, string sopInstanceUid, string transferSyntax)
    {
        var meta = new DicomDataset();
        meta.AddBytes(DicomTag.FileMetaInformationVersion, "OB", new byte[] { 0, 1 });
        meta.AddString(DicomTag.MediaStorageSopClassUid, "UI", sopClassUid);
        meta.AddString(DicomTag.MediaStorageSopInstanceUid, "UI", sopInstanceUid);
        meta.AddString(DicomTag.TransferSyntaxUid, "UI", transferSyntax);
        meta.AddString(DicomTag.ImplementationClassUid, "UI", DicomUids.ImplementationClassUid);
        meta.AddString(DicomTag.ImplementationVersionName, "SH", DicomUids.ImplementationVersionName);
        return meta;
    }

    private const uint Undefined = 0xFFFFFFFF;

    /// <summary>An item, item delimitation or sequence delimitation tag (group FFFE) and its length.</summary>
    private static void Delimiter(BinaryWriter w, ushort element, uint length)
    {
        w.Write((ushort)0xFFFE);
        w.Write(element);
        w.Write(length);
    }

    private static void WriteElement(BinaryWriter w, DicomElement e, bool explicitVr)
    {
        w.Write(e.Tag.Group);
        w.Write(e.Tag.Element);
        var vr = e.Vr;
        if (explicitVr)
        {
            w.Write((byte)vr[0]);
            w.Write((byte)vr[1]);
        }

        if (e.Items is { } items)
        {
            if (explicitVr)
            {
                w.Write((ushort)0);
            }

            w.Write(Undefined);
            foreach (var item in items)
            {
                Delimiter(w, 0xE000, Undefined);
                foreach (var child in item.Elements)
                {
                    WriteElement(w, child, explicitVr);
                }

                Delimiter(w, 0xE00D, 0);
            }

            Delimiter(w, 0xE0DD, 0);
            return;
        }

        if (e.Fragments is { } fragments)
        {
            if (!explicitVr)
            {
                throw new DicomException("encapsulated pixel data cannot be written in Implicit VR Little Endian");
            }

            w.Write((ushort)0);
            w.Write(Undefined);
            foreach (var f in fragments)
            {
                Delimiter(w, 0xE000, (uint)(f.Length + (f.Length & 1)));
                w.Write(f.Span);
                if ((f.Length & 1) == 1)
                {
                    w.Write((byte)0);
                }
            }

            Delimiter(w, 0xE0DD, 0);
            return;
        }

        var value = e.Value.Span;
        var padded = value.Length + (value.Length & 1);
        if (!explicitVr)
        {
            w.Write((uint)padded);
        }
        else if (DicomVr.HasLongLength(vr))
        {
            w.Write((ushort)0);
            w.Write((uint)padded);
        }
        else
        {
            if (padded > ushort.MaxValue)
            {
                throw new DicomException($"element {e.Tag} ({vr}) is {padded} bytes, too long for its VR");
            }

            w.Write((ushort)padded);
        }

        w.Write(value);
        if ((value.Length & 1) == 1)
        {
            w.Write(DicomVr.PadByte(vr));
        }
    }
}
