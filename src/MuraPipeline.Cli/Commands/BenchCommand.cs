using System.CommandLine;
using MuraPipeline.Benchmarks;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura bench</c>: parses the benchmarks' arguments and runs them (MuraPipeline.Benchmarks), which print their tables.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmarks, reported as ratios measured in one run.");
        var file = new Option<FileInfo?>("--file") { Description = "The DICOM image to decode and convert (default: a generated 2048x2500 12-bit DX phantom, in each --syntax)." };
        var iterations = new Option<int>("--iterations") { Description = "Runs per decoder (the median is reported).", DefaultValueFactory = _ => 15 };
        var dicomSyntax = new Option<string?>("--syntax") { Description = "Without --file: the syntaxes the phantom is encoded in by peers, comma-separated: raw, jpeg-lossless (dcmcjpeg), j2k (gdcmconv), htj2k (ojph_compress). [default: all]" };
        var dicom = new Command("dicom", "Decode a DX in each transfer syntax and make its 8-bit image: MuraPipeline beside every peer that decodes it (dcmtk, GDCM, OpenJPEG, OpenJPH).") { file, dicomSyntax, iterations };
        dicom.SetAction(parse => DicomBench.Run(parse.GetValue(file), parse.GetValue(dicomSyntax), Math.Max(3, parse.GetValue(iterations))));
        cmd.Subcommands.Add(dicom);

        var modelFile = new Option<FileInfo?>("--model") { Description = "The ONNX model (default: the bundled demo model)." };
        var batch = new Option<int>("--batch-size") { Description = "Images per ONNX Runtime call.", DefaultValueFactory = _ => 16 };
        var provider = new Option<string>("--provider") { Description = "cpu, cuda or tensorrt (Inference:ExecutionProvider's values).", DefaultValueFactory = _ => "cpu" };
        var model = new Command("model", "The model's own speed: milliseconds per image of ONNX Runtime on batches of derivative-sized images, and which provider ran.") { modelFile, batch, provider, iterations };
        model.SetAction(parse => DicomBench.RunModel(parse.GetValue(modelFile)?.FullName ?? Inference.InferenceOptions.BundledModelPath, Math.Max(1, parse.GetValue(batch)), parse.GetValue(provider)!, Math.Max(3, parse.GetValue(iterations))));
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

            return await PipelineBench.RunAsync(new PipelineBenchSettings(Math.Max(1, parse.GetValue(studies)), parse.GetValue(modelFile)?.FullName, parse.GetValue(peer), parse.GetValue(provider)!, parse.GetValue(cache)?.FullName, Math.Max(1, parse.GetValue(batch)), parse.GetValue(distributed), Math.Max(1, parse.GetValue(rounds)), syntaxes), ct);
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
}
