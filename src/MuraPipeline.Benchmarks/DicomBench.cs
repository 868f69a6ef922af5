using System.Diagnostics;
using System.Globalization;
using MuraPipeline.Dicom;
using MuraPipeline.Hosting;
using MuraPipeline.Imaging;
using MuraPipeline.Model;
using MuraPipeline.Phantoms;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Benchmarks;

/// <summary>
/// <c>mura bench dicom</c>: milliseconds per image to decode a 2048x2500 12-bit DX in each transfer syntax, ours beside
/// every peer that decodes it (dcmtk, GDCM, OpenJPEG's and OpenJPH's own tools), and to make its 8-bit image beside
/// dcmtk's dcmj2pnm doing the same conversion (the file's VOI window, full size, binary PGM), in one run; and
/// <c>mura bench model</c>, the model's own speed.
/// </summary>
public static class DicomBench
{
    /// <summary>A peer decoder: its name, the program, and the arguments that decode <c>input</c> into <c>output</c>.</summary>
    private sealed record PeerDecoder(string Name, string Program, Func<string, string, string[]> Arguments, string Input);

    public static int Run(FileInfo? file, string? syntaxList, int iterations)
    {
        var dir = Directory.CreateTempSubdirectory("mura-bench-").FullName;
        try
        {
            List<string> paths;
            if (file is not null)
            {
                paths = [file.FullName];
            }
            else
            {
                var (names, error) = SyntaxTranscoder.Parse(syntaxList ?? string.Join(',', SyntaxTranscoder.Known.Select(k => k.Name)));
                if (error is not null)
                {
                    Console.Error.WriteLine($"error: {error}");
                    return ExitCodes.StartFailed;
                }

                var raw = WriteBenchDx(Path.Combine(dir, "dx.dcm"));
                paths = [.. names.Select(n =>
                {
                    var target = Path.Combine(dir, n + ".dcm");
                    SyntaxTranscoder.TranscodeFile(n, raw, target);
                    return target;
                })];
            }

            // What starting each peer costs by itself, measured once, so that a row can show it taken off.
            var starts = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                BenchFile(path, Path.Combine(dir, Path.GetFileNameWithoutExtension(path)), iterations, starts);
            }

            Console.WriteLine();
            PrintFrontEnd(FrontEnd([paths[0]], Inference.InferenceOptions.BundledModelPath, "cpu", iterations));
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is DicomException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.StartFailed;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// One file: our decode (in full, and at the derivative's resolution where the syntax has resolutions), our 8-bit
    /// conversion and derivative, beside each peer that decodes the syntax, one process per image; a peer that cannot
    /// decode the file is named with its reason.
    /// </summary>
    private static void BenchFile(string path, string work, int iterations, Dictionary<string, double> starts)
    {
        Directory.CreateDirectory(work);
        var info = DicomPixelData.From(DicomFile.Open(path));
        var syntax = DicomFile.OpenHeader(path).TransferSyntaxUid;
        var layered = DicomUids.IsJpeg2000Family(syntax);
        var levels = PixelPipeline.ReductionLevels(info.Columns, info.Rows, PixelPipeline.DefaultMaxSide);
        Console.WriteLine();
        Console.WriteLine($"## {DicomUids.Describe(syntax)}: {info.Columns}x{info.Rows}, {info.BitsStored}-bit stored, {new FileInfo(path).Length / 1024} KiB, {iterations} runs each");
        Console.WriteLine();
        Console.WriteLine("| decoder | median ms | min ms | less its process start |");
        Console.WriteLine("|---|---:|---:|---:|");

        static void Decode(string path, int minLongSide)
        {
            using var lease = DicomFile.OpenPooled(path);
            var pixels = DicomPixelData.From(lease.File);
            _ = pixels.DecodeWords(0, minLongSide) ?? (object)pixels.DecodeFrame();
        }

        var ours = Time(iterations, () => Decode(path, 0));
        Console.WriteLine(Row("MuraPipeline: read + decode, full resolution", ours, null));
        double[]? oursReduced = null;
        if (layered && levels > 0)
        {
            oursReduced = Time(iterations, () => Decode(path, PixelPipeline.DefaultMaxSide));
            Console.WriteLine(Row($"MuraPipeline: read + decode, {levels} levels skipped (what the derivative needs)", oursReduced, null));
        }

        // The peers that decode this syntax. A bare code stream is what OpenJPEG's and OpenJPH's tools read.
        var peers = new List<PeerDecoder>();
        if (info.CompressedFrame() is { } stream)
        {
            var j2k = Path.Combine(work, "stream.j2k");
            var j2c = Path.Combine(work, "stream.j2c");
            File.WriteAllBytes(j2k, stream);
            File.WriteAllBytes(j2c, stream);
            if (syntax is DicomUids.JpegLossless or DicomUids.JpegLosslessSv1 or DicomUids.JpegBaseline or DicomUids.JpegExtended)
            {
                peers.Add(new("dcmtk dcmdjpeg (to uncompressed DICOM)", "dcmdjpeg", (i, o) => [i, o + ".dcm"], path));
            }

            if (syntax is DicomUids.JpegLsLossless or DicomUids.JpegLsNearLossless)
            {
                peers.Add(new("dcmtk dcmdjpls (to uncompressed DICOM)", "dcmdjpls", (i, o) => [i, o + ".dcm"], path));
            }

            peers.Add(new("GDCM gdcmconv --raw (to uncompressed DICOM)", "gdcmconv", (i, o) => ["--raw", i, o + ".dcm"], path));
            if (layered)
            {
                peers.Add(new("OpenJPEG opj_decompress (code stream to PGM)", "opj_decompress", (i, o) => ["-quiet", "-i", i, "-o", o + ".pgm"], j2k));
                if (levels > 0)
                {
                    peers.Add(new($"OpenJPEG opj_decompress -r {levels}", "opj_decompress", (i, o) => ["-quiet", "-i", i, "-o", o + ".pgm", "-r", levels.ToString(CultureInfo.InvariantCulture)], j2k));
                }
            }

            if (syntax is DicomUids.Htj2kLossless or DicomUids.Htj2kLosslessRpcl or DicomUids.Htj2k)
            {
                peers.Add(new("OpenJPH ojph_expand (code stream to PGM)", "ojph_expand", (i, o) => ["-i", i, "-o", o + ".pgm"], j2c));
                if (levels > 0)
                {
                    peers.Add(new($"OpenJPH ojph_expand -skip_res {levels}", "ojph_expand", (i, o) => ["-i", i, "-o", o + ".pgm", "-skip_res", levels.ToString(CultureInfo.InvariantCulture)], j2c));
                }
            }
        }

        var full = new List<(string Name, double Ms)>();
        var reduced = new List<(string Name, double Ms)>();
        foreach (var peer in peers)
        {
            if (RunPeer(peer.Program, peer.Arguments(peer.Input, Path.Combine(work, "peer")), iterations, starts) is not { } ms)
            {
                continue;
            }

            if (ms.Error is not null)
            {
                Console.WriteLine($"| {peer.Name}: cannot decode this file ({ms.Error}) | | | |");
                continue;
            }

            Console.WriteLine(Row(peer.Name + " (one process per image)", ms.Times!, ms.Start));
            (peer.Name.Contains(" -r ", StringComparison.Ordinal) || peer.Name.Contains("-skip_res", StringComparison.Ordinal) ? reduced : full).Add((peer.Name, Median(ms.Times!) - ms.Start));
        }

        // The 8-bit conversion dcmj2pnm makes (the file's VOI window, full size), and ours.
        var oursPgm = Path.Combine(work, "ours.pgm");
        var conversion = Time(iterations, () =>
        {
            using var lease = DicomFile.OpenPooled(path);
            WritePgm(oursPgm, PixelPipeline.Derive(lease.File, maxSide: int.MaxValue));
        });
        Console.WriteLine(Row("MuraPipeline: read + decode + VOI window -> full-size 8-bit PGM", conversion, null));
        var theirsPgm = Path.Combine(work, "dcmj2pnm.pgm");
        var dcmj2pnm = RunPeer("dcmj2pnm", ["+Wi", "1", "+op", path, theirsPgm], iterations, starts);
        if (dcmj2pnm is { Error: { } why })
        {
            Console.WriteLine($"| dcmtk dcmj2pnm: cannot decode this file ({why}) | | | |");
        }
        else if (dcmj2pnm is { Times: { } times, Start: var start })
        {
            Console.WriteLine(Row("dcmtk dcmj2pnm +Wi 1 +op (the same conversion; one process per image)", times, start));
        }

        var derivative = Time(iterations, () =>
        {
            using var lease = DicomFile.OpenPooled(path);
            PixelPipeline.Derive(lease.File);
        });
        Console.WriteLine(Row($"MuraPipeline: read + model derivative ({PixelPipeline.DefaultMaxSide} px long side)", derivative, null));
        Console.WriteLine();
        if (full.Count > 0)
        {
            var fastest = full.MinBy(f => f.Ms);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"full decode: the fastest peer, {fastest.Name}, less its process start, takes {fastest.Ms / Median(ours):0.00}x our time"));
        }

        if (reduced.Count > 0 && oursReduced is not null)
        {
            var fastest = reduced.MinBy(f => f.Ms);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reduced decode: the fastest peer, {fastest.Name}, less its process start, takes {fastest.Ms / Median(oursReduced):0.00}x our time"));
        }

        if (dcmj2pnm is { Times: { } converted, Start: var started })
        {
            var (equal, maxDiff) = ComparePgm(oursPgm, theirsPgm);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"8-bit conversion: dcmj2pnm, less its process start, takes {(Median(converted) - started) / Median(conversion):0.00}x our time; {equal:P2} of pixels equal, largest difference {maxDiff} grey levels"));
        }
    }

    /// <summary>
    /// A peer's times on one input (null when it is not installed: said once on stderr), or the first line of what it
    /// printed when it cannot decode it; with its process start alone (its version or help, measured once per program).
    /// </summary>
    private static (double[]? Times, string? Error, double Start)? RunPeer(string program, string[] args, int iterations, Dictionary<string, double> starts)
    {
        static (int Code, string Output) Once(string program, string[] args)
        {
            using var p = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stderr + stdout.Result);
        }

        try
        {
            var (code, output) = Once(program, args);
            if (code != 0)
            {
                var reason = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit code {code}";
                return (null, reason.Length > 160 ? reason[..160] + "…" : reason, 0);
            }

            if (!starts.TryGetValue(program, out var start))
            {
                start = starts[program] = Median(Time(iterations, () => Once(program, [program.StartsWith("dcm", StringComparison.Ordinal) || program == "gdcmconv" ? "--version" : "-h"])));
            }

            return (Time(iterations, () =>
            {
                var (again, why) = Once(program, args);
                if (again != 0)
                {
                    throw new InvalidOperationException($"{program} failed on a second run: {why}");
                }
            }), null, start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"bench: {program} is not installed (Debian: dcmtk, libgdcm-tools, libopenjp2-tools, openjph-tools); left out");
            return null;
        }
    }

    /// <summary>
    /// Each step from the file to the model's input as the pipeline takes it, timed alone on this thread over
    /// <paramref name="files"/> (per view, the median of <paramref name="rounds"/> rounds; CPU is the whole process's,
    /// GC included), then the whole chain: read into a pooled buffer, derive, the model's input (resize, normalise);
    /// and beside it the PNG the derivative is stored and queued as (encode, and decode in another process).
    /// </summary>
    internal static List<(string Stage, double Ms, double CpuMs)> FrontEnd(IReadOnlyList<string> files, string modelPath, string provider, int rounds)
    {
        using var model = OnnxModel.Load(modelPath, provider);
        var input = new float[model.Channels * model.Height * model.Width];
        var parsed = files.Select(DicomFile.OpenPooled).ToList();
        try
        {
            var images = parsed.Select(l => PixelPipeline.Derive(l.File)).ToList();
            var pngs = images.Select(Png.Encode).ToList();
            var result = new List<(string, double, double)>();
            void Stage(string name, Action<int> action)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var ms = Time(rounds, () =>
                {
                    for (var i = 0; i < files.Count; i++)
                    {
                        action(i);
                    }
                });
                var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / (rounds + 1) / files.Count;
                result.Add((name, Median(ms) / files.Count, cpuMs));
            }

            Stage("read and parse the file (into a pooled buffer)", i => DicomFile.OpenPooled(files[i]).Dispose());
            Stage("derivative from the parsed file: range, LUT, area reduction", i => PixelPipeline.Derive(parsed[i].File));
            Stage($"model input: resize to {model.Width}x{model.Height}, normalise", i => model.FillInput(images[i], input));
            Stage("**file to model input** (the three above in one go)", i =>
            {
                using var lease = DicomFile.OpenPooled(files[i]);
                model.FillInput(PixelPipeline.Derive(lease.File), input);
            });
            Stage("PNG encode (the derivative as stored and queued)", i => Png.Encode(images[i]));
            Stage("PNG decode (an inference process's copy of it)", i => Png.DecodeGray(pngs[i]));
            return result;
        }
        finally
        {
            parsed.ForEach(l => l.Dispose());
        }
    }

    /// <summary>
    /// The vector width this run's code took (and the processes it starts, which inherit its environment): 512-bit paths
    /// where AVX-512 is on, 256-bit where only AVX2 is (an AVX2-only CPU, or DOTNET_EnableAVX512F=0), narrower below.
    /// </summary>
    internal static string VectorWidth() =>
        System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512 (512-bit vectors)"
        : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "AVX2 (256-bit vectors)"
        : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? "128-bit vectors" : "no vector instructions";

    internal static void PrintFrontEnd(List<(string Stage, double Ms, double CpuMs)> stages)
    {
        Console.WriteLine($"vector width: {VectorWidth()}");
        Console.WriteLine("| front-end stage, one view on one thread | median ms | CPU ms |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (stage, ms, cpu) in stages)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {stage} | {ms:0.00} | {cpu:0.00} |"));
        }
    }

    /// <summary>A 2048x2500 12-bit DX: a phantom radiograph scaled up, with a VOI window in the file.</summary>
    public static int RunModel(string path, int batchSize, string provider, int iterations)
    {
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddMuraConsole(timestamps: false));
        using var model = OnnxModel.Load(path, provider, loggers.CreateLogger("bench"));
        if (!string.Equals(model.ExecutionProvider, provider, StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"bench: execution provider {provider} is not available on this machine (scoring would run on {model.ExecutionProvider}); stopping");
            return ExitCodes.StartFailed;
        }

        var rng = new Random(1);
        var images = Enumerable.Range(0, batchSize).Select(_ => new GrayImage(512, 410, Enumerable.Range(0, 512 * 410).Select(_ => (byte)rng.Next(256)).ToArray())).ToList();
        model.Predict(images); // warm-up: first-run allocations and graph optimisation
        var ms = Time(iterations, () => model.Predict(images)).Select(t => t / batchSize).ToArray();
        // The portable build keeps native libraries under runtimes/, a build for linux-x64 beside mura.dll.
        var package = new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), AppContext.BaseDirectory }
            .Any(d => File.Exists(Path.Combine(d, "libonnxruntime_providers_cuda.so"))) ? "Microsoft.ML.OnnxRuntime.Gpu" : "Microsoft.ML.OnnxRuntime (CPU only)";
        Console.WriteLine($"model {model.Sha256[..12]} ({model.Channels}x{model.Height}x{model.Width}), package {package}, provider {model.ExecutionProvider}, batch {batchSize}, {iterations} batches");
        Console.WriteLine("| | ms per image (median) | fastest |");
        Console.WriteLine("| --- | --- | --- |");
        Console.WriteLine(Row("Predict (resize, normalise, Session.Run, outputs)", ms, null));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"images per second: {1000 / Median(ms):0}"));
        return ExitCodes.Ok;
    }

    private static string WriteBenchDx(string path)
    {
        const int Columns = 2048, Rows = 2500;
        var study = new PhantomGenerator(seed: 2500, minSide: 600, maxSide: 700).Generate(0);
        var view = study.Views[0];
        var ds = PhantomWriter.ToDataset(study, view);
        var src = view.Frame;
        var pixels = new byte[Columns * Rows * 2];
        for (var y = 0; y < Rows; y++)
        {
            var sy = y * src.Height / Rows;
            for (var x = 0; x < Columns; x++)
            {
                var v = src.Values[(sy * src.Width) + (x * src.Width / Columns)];
                pixels[((y * Columns) + x) * 2] = (byte)v;
                pixels[(((y * Columns) + x) * 2) + 1] = (byte)(v >> 8);
            }
        }

        var min = src.Values.Min();
        var max = src.Values.Max();
        ds.AddUInt16(DicomTag.Rows, Rows).AddUInt16(DicomTag.Columns, Columns);
        ds.AddString(DicomTag.WindowCenter, "DS", ((min + max) / 2).ToString(CultureInfo.InvariantCulture));
        ds.AddString(DicomTag.WindowWidth, "DS", Math.Max(2, max - min).ToString(CultureInfo.InvariantCulture));
        ds.AddBytes(DicomTag.PixelData, "OW", pixels);
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(path);
        return path;
    }

    private static double[] Time(int iterations, Action action)
    {
        action(); // warm-up: JIT, file cache
        var ms = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            ms[i] = sw.Elapsed.TotalMilliseconds;
        }

        return ms;
    }

    private static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }

    private static string Row(string what, double[] ms, double? start) =>
        string.Create(CultureInfo.InvariantCulture, $"| {what} | {Median(ms):0.0} | {ms.Min():0.0} |{(start is { } s ? (Median(ms) - s).ToString(" 0.0 |", CultureInfo.InvariantCulture) : string.Empty)}");

    private static void WritePgm(string path, GrayImage image)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        fs.Write(System.Text.Encoding.ASCII.GetBytes($"P5\n{image.Width} {image.Height}\n255\n"));
        fs.Write(image.Pixels);
    }

    private static (double Equal, int MaxDiff) ComparePgm(string a, string b)
    {
        var pa = PgmPixels(a);
        var pb = PgmPixels(b);
        if (pa.Length != pb.Length)
        {
            return (0, 255);
        }

        var equal = 0;
        var max = 0;
        for (var i = 0; i < pa.Length; i++)
        {
            var d = Math.Abs(pa[i] - pb[i]);
            equal += d == 0 ? 1 : 0;
            max = Math.Max(max, d);
        }

        return ((double)equal / pa.Length, max);
    }

    /// <summary>The pixels of a binary PGM: after the magic, width, height and maxval tokens and one whitespace byte.</summary>
    private static byte[] PgmPixels(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var tokens = 0;
        var i = 0;
        while (tokens < 4 && i < bytes.Length)
        {
            while (i < bytes.Length && char.IsWhiteSpace((char)bytes[i]))
            {
                i++;
            }

            if (bytes[i] == '#')
            {
                while (i < bytes.Length && bytes[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            while (i < bytes.Length && !char.IsWhiteSpace((char)bytes[i]))
            {
                i++;
            }

            tokens++;
        }

        return bytes[(i + 1)..];
    }
}
