using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using MuraPipeline.Dicom;

namespace MuraPipeline.Benchmarks;

/// <summary>
/// The bench's phantoms in other transfer syntaxes, each made by a peer's own encoder (none of ours): JPEG lossless SV1
/// by dcmtk's dcmcjpeg, JPEG 2000 lossless by GDCM's gdcmconv, HTJ2K lossless by OpenJPH's ojph_compress (its code
/// stream wrapped in the file's own header). Made once per set and kept beside it, like the set itself.
/// </summary>
public static class SyntaxTranscoder
{
    /// <summary>The syntaxes <c>--syntax</c> takes, in the order the bench reports them, with what makes each.</summary>
    public static readonly IReadOnlyList<(string Name, string Uid, string Encoder)> Known =
    [
        ("raw", DicomUids.ExplicitVrLittleEndian, "as generated"),
        ("jpeg-lossless", DicomUids.JpegLosslessSv1, "dcmtk dcmcjpeg"),
        ("j2k", DicomUids.Jpeg2000Lossless, "GDCM gdcmconv --j2k"),
        ("htj2k", DicomUids.Htj2kLossless, "OpenJPH ojph_compress -reversible"),
    ];

    /// <summary>The names in <paramref name="list"/> (comma-separated), or the error that names what is unknown.</summary>
    public static (IReadOnlyList<string> Names, string? Error) Parse(string? list)
    {
        var names = (list ?? "raw").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).Distinct().ToList();
        var unknown = names.Where(n => Known.All(k => k.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            return ([], $"--syntax: unknown {string.Join(", ", unknown)}; known: {string.Join(", ", Known.Select(k => k.Name))}");
        }

        // Uncompressed always runs: every other syntax is reported as a ratio to it.
        return ([.. Known.Select(k => k.Name).Where(n => n == "raw" || names.Contains(n))], null);
    }

    /// <summary>The set at <paramref name="raw"/> in <paramref name="name"/>'s syntax: made once (a marker says it is complete), then reused.</summary>
    public static string Transcoded(string raw, string name, int parallelism)
    {
        if (name == "raw")
        {
            return raw;
        }

        var files = Directory.GetFiles(raw, "*.dcm", SearchOption.AllDirectories);
        var (_, uid, encoder) = Known.Single(k => k.Name == name);
        var dir = Path.TrimEndingDirectorySeparator(raw) + "-" + name;
        return PipelineBench.MadeOnce(dir, partial =>
        {
            Console.WriteLine($"transcoding {files.Length} files once to {DicomUids.Describe(uid)} with {encoder} into {dir} …");
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, file =>
            {
                var target = Path.Combine(partial, Path.GetRelativePath(raw, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                TranscodeFile(name, file, target);
            });
        });
    }

    /// <summary>
    /// <paramref name="file"/> written to <paramref name="target"/> in <paramref name="name"/>'s syntax by that syntax's
    /// peer encoder; the written file must say it is in that syntax (a tool that silently wrote something else would skew
    /// a bench).
    /// </summary>
    public static void TranscodeFile(string name, string file, string target)
    {
        var (_, uid, encoder) = Known.Single(k => k.Name == name);
        switch (name)
        {
            case "raw":
                File.Copy(file, target, overwrite: true);
                break;
            case "jpeg-lossless":
                Run("dcmcjpeg", "+e1", file, target);
                break;
            case "j2k":
                Run("gdcmconv", "--j2k", file, target);
                break;
            default:
                Htj2k(file, target);
                break;
        }

        var written = DicomFile.OpenHeader(target).TransferSyntaxUid;
        if (written != uid)
        {
            throw new InvalidOperationException($"{encoder} wrote {DicomUids.Describe(written)} for {file}, not {DicomUids.Describe(uid)}");
        }
    }

    /// <summary>ojph_compress on the file's stored values (a 16-bit PGM), its code stream then put in the file's own header as encapsulated pixel data.</summary>
    private static void Htj2k(string file, string target)
    {
        var dicom = DicomFile.Open(file);
        var pixels = DicomPixelData.From(dicom);
        if (pixels.SamplesPerPixel != 1 || pixels.PixelRepresentation != 0 || pixels.BitsStored > 16)
        {
            throw new InvalidOperationException($"{file}: the HTJ2K transcoding takes unsigned greyscale of up to 16 bits");
        }

        var frame = pixels.DecodeFrame();
        var pgm = target + ".pgm";
        var stream = target + ".j2c";
        using (var output = File.Create(pgm))
        {
            output.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"P5\n{frame.Width} {frame.Height}\n{(1 << pixels.BitsStored) - 1}\n")));
            var data = new byte[frame.Values.Length * 2];
            for (var i = 0; i < frame.Values.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i * 2), (ushort)frame.Values[i]);
            }

            output.Write(data);
        }

        Run("ojph_compress", "-i", pgm, "-o", stream, "-reversible", "true", "-num_decomps", "5");
        var code = File.ReadAllBytes(stream);
        File.Delete(pgm);
        File.Delete(stream);
        var ds = dicom.Dataset;
        ds.Set(new DicomElement(DicomTag.PixelData, "OB", ReadOnlyMemory<byte>.Empty) { Fragments = [ReadOnlyMemory<byte>.Empty, code.Length % 2 == 0 ? code : [.. code, 0]] });
        new DicomFile(DicomWriter.CreateMeta(ds, DicomUids.Htj2kLossless), ds).Save(target);
    }

    internal static void Run(string tool, params string[] args)
    {
        Process p;
        try
        {
            p = Process.Start(new ProcessStartInfo(tool, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{tool} is not installed (it comes with Debian's dcmtk, libgdcm-tools and openjph-tools)");
        }

        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {stdout.Result}{stderr}".Trim());
            }
        }
    }
}
