using System.IO.Compression;
using System.Text;

namespace MuraPipeline.Model;

/// <summary>Reads NumPy .npz archives of little-endian float32 arrays (what the training script writes).</summary>
public static class Npz
{
    public static Dictionary<string, (float[] Data, int[] Shape)> Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var result = new Dictionary<string, (float[], int[])>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            using var s = entry.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var b = ms.ToArray();
            if (b.Length < 10 || b[0] != 0x93 || Encoding.ASCII.GetString(b, 1, 5) != "NUMPY")
            {
                throw new InvalidDataException($"{path}: {entry.Name} is not a .npy array");
            }

            // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
            var (headerLen, start) = b[6] == 1 ? (BitConverter.ToUInt16(b, 8), 10) : ((int)BitConverter.ToUInt32(b, 8), 12);
            var header = Encoding.ASCII.GetString(b, start, headerLen);
            if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || header.Contains("'fortran_order': True", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}: {entry.Name} is not a C-ordered little-endian float32 array ({header.Trim()})");
            }

            var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
            shapeText = shapeText[..shapeText.IndexOf(')', StringComparison.Ordinal)];
            var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var data = new float[(b.Length - start - headerLen) / 4];
            Buffer.BlockCopy(b, start + headerLen, data, 0, data.Length * 4);
            result[Path.GetFileNameWithoutExtension(entry.Name)] = (data, shape);
        }

        return result;
    }
}
