using System.Buffers.Binary;
using System.Text;

namespace MuraPipeline.Dicom;

/// <summary>Writes stored pixel values as a NumPy .npy file with the dtype and shape pydicom's pixel_array gives.</summary>
public static class NumpyExport
{
    /// <summary>Every frame (shape F,R,C[,3] when there are several), or one frame (R,C[,3]) when <paramref name="frame"/> is given.</summary>
    public static void Write(Stream output, DicomFile file, int? frame)
    {
        var px = DicomPixelData.From(file);
        var frames = frame is { } k ? [k] : Enumerable.Range(0, px.Frames).ToArray();
        var bytes = px.BitsAllocated == 1 ? 1 : px.BitsAllocated / 8;
        var kind = px.BitsAllocated == 1 || px.PixelRepresentation == 0 ? 'u' : 'i';
        var bigEndian = file.TransferSyntaxUid == DicomUids.ExplicitVrBigEndian && !px.IsEncapsulated;
        var order = bytes == 1 ? '|' : bigEndian ? '>' : '<';
        var shape = new List<int>();
        if (frames.Length > 1)
        {
            shape.Add(frames.Length);
        }

        shape.Add(px.Rows);
        shape.Add(px.Columns);
        if (px.SamplesPerPixel > 1)
        {
            shape.Add(px.SamplesPerPixel);
        }

        var dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '{order}{kind}{bytes}', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (total % 64)) % 64)) + "\n";
        using var w = new BinaryWriter(output, Encoding.ASCII, leaveOpen: true);
        w.Write((byte)0x93);
        w.Write("NUMPY"u8);
        w.Write((byte)1);
        w.Write((byte)0);
        w.Write((ushort)header.Length);
        w.Write(Encoding.ASCII.GetBytes(header));
        var buffer = new byte[bytes];
        foreach (var f in frames)
        {
            var values = px.DecodeFrame(f).Values;
            foreach (var v in values)
            {
                switch (bytes)
                {
                    case 1:
                        w.Write((byte)v);
                        break;
                    case 2 when bigEndian:
                        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)v);
                        w.Write(buffer);
                        break;
                    case 2:
                        w.Write((ushort)v);
                        break;
                    default:
                        if (bigEndian)
                        {
                            BinaryPrimitives.WriteInt32BigEndian(buffer, v);
                            w.Write(buffer);
                        }
                        else
                        {
                            w.Write(v);
                        }

                        break;
                }
            }
        }
    }
}
