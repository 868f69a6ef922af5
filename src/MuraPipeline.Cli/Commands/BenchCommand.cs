using System.Diagnostics;
using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;

using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Cli.Commands;

/// <summary>
/// <c>mura bench dicom</c>: milliseconds per image to read a 2048x2500 12-bit DX and make its 8-bit image, ours beside
/// dcmtk's dcmj2pnm doing the same conversion (the file's VOI window, full size, binary PGM), in one run.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks, reported as ratios measured in one run.");
        var file = new Option<FileInfo?>("--file") { Description = "The DICOM image to convert (default: a generated 2048x2500 12-bit DX phantom)." };
        var iterations = new Option<int>("--iterations") { Description = "Conversions per tool (the median is reported).", DefaultValueFactory = _ => 15 };
        var dicom = new Command("dicom", "Read a DX and make its 8-bit image: MuraPipeline beside dcmj2pnm.") { file, iterations };
        dicom.SetAction(parse => Run(parse.GetValue(file), Math.Max(3, parse.GetValue(iterations))));
        cmd.Subcommands.Add(dicom);

        var modelFile = new Option<FileInfo?>("--model") { Description = "The ONNX model (default: the bundled demo model)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per ONNX Runtime call.", DefaultValueFactory = _ => 16 };
        var provider = new Option<string>("--provider") { Description = "cpu, cuda or tensorrt (Inference:ExecutionProvider's values).", DefaultValueFactory = _ => "cpu" };
        var model = new Command("model", "The model's own speed: milliseconds per image of ONNX Runtime on batches of derivative-sized images, and which provider ran.") { modelFile, batch, provider, iterations };
        model.SetAction(parse => RunModel(parse.GetValue(modelFile)?.FullName ?? Inference.InferenceOptions.BundledModelPath, Math.Max(1, parse.GetValue(batch)), parse.GetValue(provider)!, Math.Max(3, parse.GetValue(iterations))));
        cmd.Subcommands.Add(model);

        var studies = new Option<int>("--studies") { Description = "Phantom studies (generated once per size and cached).", DefaultValueFactory = _ => 200 };
        var peer = new Option<bool>("--peer") { Description = "Also run tests/peers/bench_peer.py (pydicom, PIL, PyTorch; the same network) on the same files." };
        var cache = new Option<DirectoryInfo?>("--cache") { Description = "Where the phantoms are kept (default ~/.cache/murapipeline/bench)." };
        var distributed = new Option<bool>("--distributed") { Description = "Also run one `serve --roles ingest` and one `serve --roles inference` process on the RabbitMQ and PostgreSQL that ConnectionStrings__RabbitMq and ConnectionStrings__Postgres name (an empty database)." };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of the raw model rate, screen, peer and distributed, one after the other; the ratios are each round's, and their median is reported.", DefaultValueFactory = _ => 3 };
        var syntax = new Option<string>("--syntax") { Description = "Transfer syntaxes to screen the same phantoms in, each encoded by a peer: raw, jpeg-lossless (dcmcjpeg), j2k (gdcmconv), htj2k (ojph_compress); comma-separated. Each is reported beside uncompressed.", DefaultValueFactory = _ => "raw" };
        var pipeline = new Command("pipeline", "The whole pipeline beside the model alone and a plain reference script, in one run: views per second, per-stage CPU, peak RSS, batch fill, ratios.") { studies, modelFile, peer, provider, cache, batch, distributed, rounds, syntax };
        pipeline.SetAction(async (parse, ct) =>
        {
            var (syntaxes, error) = SyntaxTranscoder.Parse(parse.GetValue(syntax));
            if (error is not null)
            {
                Console.Error.WriteLine("error: " + error);
                return ExitCodes.StartFailed;
            }

            try
            {
                return await PipelineBench.RunAsync(new PipelineBenchSettings(Math.Max(1, parse.GetValue(studies)), parse.GetValue(modelFile)?.FullName, parse.GetValue(peer), parse.GetValue(provider)!, parse.GetValue(cache)?.FullName, Math.Max(1, parse.GetValue(batch)), parse.GetValue(distributed), Math.Max(1, parse.GetValue(rounds)), syntaxes), ct);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or TimeoutException or IOException)
            {
                // A peer or service the run needs is missing or failed: say which, not a stack trace.
                Console.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.StartFailed;
            }
        });
        cmd.Subcommands.Add(pipeline);

        var associations = new Option<int>("--associations") { Description = "Associations at once (the receiver's Scp:MaxAssociations for the run).", DefaultValueFactory = _ => 16 };
        var perAssociation = new Option<int>("--instances") { Description = "Instances each association sends.", DefaultValueFactory = _ => 200 };
        var side = new Option<int>("--side") { Description = "Each instance's side in pixels (16-bit).", DefaultValueFactory = _ => 256 };
        var receive = new Command("receive", "Our C-STORE receiver beside Orthanc receiving the same files from parallel storescu processes, in one run: instances per second and peak RSS.") { associations, perAssociation, side };
        receive.SetAction((parse, ct) => ReceiveBench.RunAsync(Math.Max(1, parse.GetValue(associations)), Math.Max(1, parse.GetValue(perAssociation)), Math.Max(16, parse.GetValue(side)), ct));
        cmd.Subcommands.Add(receive);
        return cmd;
    }

    private static int Run(FileInfo? file, int iterations)
    {
        var dir = Directory.CreateTempSubdirectory("mura-bench-").FullName;
        try
        {
            var path = file?.FullName ?? WriteBenchDx(Path.Combine(dir, "dx.dcm"));
            var info = DicomPixelData.From(DicomFile.Open(path));
            Console.WriteLine($"image: {path} ({info.Columns}x{info.Rows}, {info.BitsStored}-bit stored, {DicomUids.Describe(DicomFile.OpenHeader(path).TransferSyntaxUid)}), {iterations} conversions each");

            var oursPgm = Path.Combine(dir, "ours.pgm");
            var ours = Time(iterations, () =>
            {
                using var lease = DicomFile.OpenPooled(path);
                var image = PixelPipeline.Derive(lease.File, maxSide: int.MaxValue);
                WritePgm(oursPgm, image);
            });
            var derivative = Time(iterations, () =>
            {
                using var lease = DicomFile.OpenPooled(path);
                PixelPipeline.Derive(lease.File);
            });
            var stages = FrontEnd([path], Inference.InferenceOptions.BundledModelPath, "cpu", iterations);

            var theirsPgm = Path.Combine(dir, "dcmj2pnm.pgm");
            double[]? theirs;
            try
            {
                theirs = Time(iterations, () =>
                {
                    using var p = Process.Start(new ProcessStartInfo("dcmj2pnm", ["+Wi", "1", "+op", path, theirsPgm]) { UseShellExecute = false, RedirectStandardError = true })!;
                    var err = p.StandardError.ReadToEnd();
                    p.WaitForExit();
                    if (p.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"dcmj2pnm failed: {err}");
                    }
                });
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Console.Error.WriteLine("error: dcmj2pnm is not installed (apt-get install dcmtk)");
                return ExitCodes.StartFailed;
            }
            catch (InvalidOperationException ex)
            {
                // The peer cannot read this syntax (dcmtk has no JPEG 2000 or HTJ2K decoder): say so, report ours alone.
                Console.WriteLine($"dcmj2pnm cannot decode this file: {ex.Message.Replace("dcmj2pnm failed: ", string.Empty, StringComparison.Ordinal).Trim()}");
                theirs = null;
            }

            // What starting dcmj2pnm costs by itself, so the reader can take it off.
            var startup = Time(iterations, () =>
            {
                using var p = Process.Start(new ProcessStartInfo("dcmj2pnm", ["--version"]) { UseShellExecute = false, RedirectStandardOutput = true })!;
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
            });
            Console.WriteLine();
            Console.WriteLine("| conversion | median ms per image | min ms |");
            Console.WriteLine("|---|---:|---:|");
            Console.WriteLine(Row("MuraPipeline: read + decode + VOI window -> full-size 8-bit PGM", ours));
            if (theirs is not null)
            {
                Console.WriteLine(Row("dcmj2pnm +Wi 1 +op (the same conversion; one process per image)", theirs));
                Console.WriteLine(Row("dcmj2pnm --version (process start alone)", startup));
            }

            Console.WriteLine(Row("MuraPipeline: read + model derivative (512 px long side)", derivative));
            Console.WriteLine();
            PrintFrontEnd(stages);
            if (theirs is not null)
            {
                var (equal, maxDiff) = ComparePgm(oursPgm, theirsPgm);
                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio (dcmj2pnm / MuraPipeline, same conversion): {Median(theirs) / Median(ours):0.00}x; without dcmj2pnm's process start: {(Median(theirs) - Median(startup)) / Median(ours):0.00}x"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"agreement of the two PGMs: {equal:P2} of pixels equal, largest difference {maxDiff} grey levels"));
            }

            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is DicomException or IOException or UnauthorizedAccessException)
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
    /// Each step from the file to the model's input as the pipeline takes it, timed alone on this thread over
    /// <paramref name="files"/> (per view, the median of <paramref name="rounds"/> rounds; CPU is the whole process's,
    /// GC included), then the whole chain: read into a pooled buffer, derive, the model's input (resize, normalise);
    /// and beside it the PNG the derivative is stored and queued as (encode, and decode in another process).
    /// </summary>
    internal static List<(string Stage, double Ms, double CpuMs)> FrontEnd(IReadOnlyList<string> files, string modelPath, string provider, int rounds)
    {
        using var model = Inference.OnnxModel.Load(modelPath, provider);
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
    private static int RunModel(string path, int batchSize, string provider, int iterations)
    {
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddMuraConsole(timestamps: false));
        using var model = Inference.OnnxModel.Load(path, provider, loggers.CreateLogger("bench"));
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
        Console.WriteLine(Row("Predict (resize, normalise, Session.Run, outputs)", ms));
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

    private static string Row(string what, double[] ms) => string.Create(CultureInfo.InvariantCulture, $"| {what} | {Median(ms):0.0} | {ms.Min():0.0} |");

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
