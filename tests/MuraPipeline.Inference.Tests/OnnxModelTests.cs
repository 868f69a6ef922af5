using MuraPipeline.Imaging;
using MuraPipeline.Model;
using MuraPipeline.Tests;

namespace MuraPipeline.Inference.Tests;

public sealed class OnnxModelTests
{
    [Fact]
    public void Missing_model_file_is_named_in_the_error()
    {
        var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load("/nonexistent/model.onnx"));
        Assert.Equal("model file /nonexistent/model.onnx does not exist", ex.Message);
    }

    [Fact]
    public void Malformed_model_file_is_named_with_what_is_wrong()
    {
        var dir = Peers.TempDir();
        try
        {
            var path = Path.Combine(dir, "bad.onnx");
            File.WriteAllText(path, "this is not a protobuf");
            var ex = Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path));
            Assert.StartsWith($"model file {path} is not a valid ONNX model", ex.Message, StringComparison.Ordinal);
            File.WriteAllBytes(path, []);
            Assert.Contains("is empty", Assert.Throws<ModelLoadException>(() => OnnxModel.Load(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bundled_model_follows_the_contract_and_matches_pytorch_on_its_reference_inputs()
    {
        using var model = OnnxModel.Load(InferenceOptions.BundledModelPath);
        Assert.Equal(64, model.Sha256.Length);
        Assert.Equal(model.Height.ToString(System.Globalization.CultureInfo.InvariantCulture), model.Metadata["mura.input.height"]);

        // The training script saved PyTorch's outputs on fixed inputs beside the model; ONNX Runtime must agree.
        var check = ContractCheck.Run(model, InferenceOptions.BundledModelPath + ".check.npz");
        Assert.NotNull(check);
        Assert.True(check.Passed, check.Failure);
        Assert.Equal(["abnormal", "body_part", "cam"], check.Differences.Select(d => d.Output));
        Assert.All(check.Differences, d => Assert.InRange(d.Difference, 0, ContractCheck.Tolerance));
    }

    [Fact]
    public void Predictions_are_probabilities_with_a_body_part_and_a_cam_grid()
    {
        using var model = OnnxModel.Load(InferenceOptions.BundledModelPath);
        var images = Enumerable.Range(0, 3).Select(i => new GrayImage(300 + (50 * i), 400, Enumerable.Repeat((byte)(40 * i), (300 + (50 * i)) * 400).ToArray())).ToList();
        var p = model.Predict(images);
        Assert.Equal(3, p.Count);
        Assert.All(p, x =>
        {
            Assert.InRange(x.Probability, 0, 1);
            Assert.NotNull(x.BodyPart);
            Assert.NotNull(x.Cam);
            Assert.Equal(x.CamWidth * x.CamHeight, x.Cam!.Length);
        });
    }
}
