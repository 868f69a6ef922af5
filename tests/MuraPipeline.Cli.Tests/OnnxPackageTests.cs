using System.Globalization;
using MuraPipeline.Evaluation;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>The default build ships ONNX Runtime's GPU package; the slim build (-p:MuraOnnxCpuOnly=true) the CPU-only one at the same version.</summary>
public sealed class OnnxPackageTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_cpu_only_build_scores_the_bundled_model_exactly_as_the_default_gpu_package_build()
    {
        var root = Peers.RepositoryRoot();
        var (built, stdout, stderr) = Peers.Run("dotnet", ["build", Path.Combine(root, "src", "MuraPipeline.Cli"), "-c", "Release", "-p:MuraOnnxCpuOnly=true", "-nologo", "-v", "q"], null, root);
        Assert.True(built == 0, stdout + stderr);
        var slim = Path.Combine(root, "src", "MuraPipeline.Cli", "bin-cpu", "Release", "net10.0");
        const string CudaProvider = "runtimes/linux-x64/native/libonnxruntime_providers_cuda.so";
        Assert.False(File.Exists(Path.Combine(slim, CudaProvider)), "the slim build carries the CUDA provider");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(Peers.MuraDll)!, CudaProvider)), "the default build lacks the CUDA provider");
        var (pins, _, pinErrors) = Peers.Run("/usr/bin/python3", Path.Combine(root, "infra", "check-pins.py"), root, "--obj", "obj-cpu");
        Assert.True(pins == 0, pinErrors);

        var input = Path.Combine(_dir, "in");
        PhantomWriter.WriteAll(new PhantomGenerator(47, minSide: 400, maxSide: 560), 5, input, PhantomFormat.Mura);
        var probabilities = new List<Dictionary<string, double>>();
        foreach (var mura in new[] { Peers.MuraDll, Path.Combine(slim, "mura.dll") })
        {
            var outDir = Path.Combine(_dir, "out-" + probabilities.Count);
            var (code, _, err) = Peers.Run("dotnet", [mura, "screen", input, "--out", outDir], null, _dir);
            Assert.True(code == 0, err);
            probabilities.Add(File.ReadAllLines(Path.Combine(outDir, "views.csv")).Skip(1).Select(Csv.Split).ToDictionary(v => v[1], v => double.Parse(v[4], CultureInfo.InvariantCulture)));
        }

        Assert.Equal(probabilities[0].Keys.Order(StringComparer.Ordinal), probabilities[1].Keys.Order(StringComparer.Ordinal));
        Assert.True(probabilities[0].Count >= 5);
        Assert.All(probabilities[0], p => Assert.True(Math.Abs(p.Value - probabilities[1][p.Key]) <= 1e-6, $"{p.Key}: GPU package {p.Value}, CPU package {probabilities[1][p.Key]}"));
    }
}
