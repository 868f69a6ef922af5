using MuraPipeline.Imaging;
using MuraPipeline.Inference;
using MuraPipeline.Model;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>The training script's smoke test (one epoch, CPU) and the export's checks in ONNX Runtime, including the foreign multi-task contract.</summary>
public sealed class TrainingTests(TrainingFixture data) : IClassFixture<TrainingFixture>
{
    public static string Script => Path.Combine(Peers.RepositoryRoot(), "src", "training", "train.py");

    /// <summary>Runs train.py (Debian's python3-torch) for one epoch unless told otherwise; returns its exit code and output.</summary>
    public static (int Code, string Output) Train(params string[] args)
    {
        var fixedArgs = new List<string> { Script, "--epochs", "1", "--batch", "8", "--threads", "2", "--seed", "3" };
        var (code, stdout, stderr) = Peers.Run("/usr/bin/python3", [.. fixedArgs, .. args], null, null);
        return (code, stdout + stderr);
    }

    private List<GrayImage> Images(int n) => Directory.EnumerateFiles(data.Valid, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(n).Select(f => Png.DecodeGray(File.ReadAllBytes(f))).ToList();

    [Fact]
    public void One_epoch_of_the_compact_model_exports_our_contract_and_onnx_runtime_reproduces_pytorch()
    {
        using var model = OnnxModel.Load(data.CompactModel);
        Assert.Equal("mura", model.Contract);
        Assert.Equal([1, 64, 64], new[] { model.Channels, model.Height, model.Width });
        var check = ContractCheck.Run(model, data.CompactModel + ".check.npz");
        Assert.NotNull(check);
        Assert.True(check.Passed, check.Failure);
        Assert.Equal(["abnormal", "body_part", "cam"], check.Differences.Select(d => d.Output));

        var p = model.Predict(Images(5));
        Assert.All(p, x =>
        {
            Assert.InRange(x.Probability, 0, 1);
            Assert.Contains(x.BodyPart, Contracts.StudyTypes.All);
            Assert.Equal(4 * 4, x.Cam!.Length);
        });

        // The command an operator runs after training says the same, and refuses an export that PyTorch disagrees with.
        Assert.Equal(ExitCodes.Ok, MuraCommandLine.Build().Parse(["models", "check", data.CompactModel]).Invoke());
    }

    [Fact]
    public void One_epoch_of_the_default_densenet169_recipe_exports_a_model_that_passes_the_contract_check()
    {
        var path = Path.Combine(data.Dir, "densenet.onnx");
        var (code, output) = Train("--train", data.Train, "--valid", data.Valid, "--out", path, "--size", "64");
        Assert.True(code == 0, output);
        using var model = OnnxModel.Load(path);
        Assert.Equal("densenet169", model.Metadata["mura.arch"]);
        Assert.Equal(3, model.Channels);
        var check = ContractCheck.Run(model, path + ".check.npz");
        Assert.True(check!.Passed, check.Failure);
    }

    [Fact]
    public void A_multitask_export_of_the_same_weights_runs_through_the_adapter_with_the_same_scores_and_body_parts()
    {
        var path = Path.Combine(data.Dir, "multitask.onnx");
        var (code, output) = Train("--epochs", "0", "--init", data.CompactModel + ".pt", "--out", path, "--arch", "compact", "--channels", "1", "--size", "64", "--pool", "lse", "--contract", "multitask");
        Assert.True(code == 0, output);

        using var ours = OnnxModel.Load(data.CompactModel);
        using var foreign = OnnxModel.Load(path);
        Assert.Equal("multitask", foreign.Contract);
        Assert.True(ContractCheck.Run(foreign, path + ".check.npz")!.Passed);

        // Input [N,1,64,64] named "input", outputs (N,2) and (N,7) in the published joint order: the adapter maps them back.
        var images = Images(8);
        var a = ours.Predict(images);
        var b = foreign.Predict(images);
        for (var i = 0; i < images.Count; i++)
        {
            Assert.Equal(a[i].Probability, b[i].Probability, 1e-5);
            Assert.Equal(a[i].BodyPart, b[i].BodyPart);
            Assert.Null(b[i].Cam);
        }
    }

    [Fact]
    public void Softmax_pairs_are_read_as_probabilities_and_logit_pairs_through_a_softmax()
    {
        Assert.Equal(0.8, ModelAdapter.AbnormalProbability(0.2f, 0.8f), 1e-6);
        Assert.Equal(1 / (1 + Math.Exp(-2.0)), ModelAdapter.AbnormalProbability(-1f, 1f), 1e-6);
        Assert.Equal(0.5, ModelAdapter.AbnormalProbability(3f, 3f), 1e-12);
    }
}
