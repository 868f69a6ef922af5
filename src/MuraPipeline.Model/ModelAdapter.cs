using Microsoft.ML.OnnxRuntime;

namespace MuraPipeline.Model;

/// <summary>
/// The adapter for the published multi-task MURA models: one float32 input [N,1,H,W] (grayscale), an output [N,2]
/// of abnormality scores (normal, abnormal) and an output [N,7] of joint types in the order Humerus, Wrist, Forearm,
/// Finger, Hand, Elbow, Shoulder. Chosen from the model's inputs and outputs, never from its file name. Such models
/// have no CAM, so their views get no heatmap.
/// </summary>
public sealed class ModelAdapter
{
    /// <summary>The joint-type order of the published multi-task models.</summary>
    public static readonly IReadOnlyList<string> MultitaskJoints = ["HUMERUS", "WRIST", "FOREARM", "FINGER", "HAND", "ELBOW", "SHOULDER"];

    private ModelAdapter(string input, string abnormalOutput, string? bodyPartOutput)
    {
        Input = input;
        AbnormalOutput = abnormalOutput;
        BodyPartOutput = bodyPartOutput;
    }

    public string Name => "multitask";

    public string Input { get; }

    public string AbnormalOutput { get; }

    public string? BodyPartOutput { get; }

    /// <summary>The adapter when the session has that shape (one grayscale 4-D input, a [N,2] output, optionally a [N,7] one); otherwise null.</summary>
    public static ModelAdapter? Find(InferenceSession session)
    {
        if (session.InputMetadata.Count != 1)
        {
            return null;
        }

        var (inputName, input) = session.InputMetadata.First();
        if (input.ElementType != typeof(float) || input.Dimensions.Length != 4 || input.Dimensions[1] != 1)
        {
            return null;
        }

        string? Output(int classes) => session.OutputMetadata
            .Where(o => o.Value.ElementType == typeof(float) && o.Value.Dimensions.Length == 2 && o.Value.Dimensions[1] == classes)
            .Select(o => o.Key).FirstOrDefault();
        return Output(2) is { } abnormal ? new ModelAdapter(inputName, abnormal, Output(MultitaskJoints.Count)) : null;
    }

    /// <summary>Reads a batch's outputs into the pipeline's predictions.</summary>
    public IReadOnlyList<ViewPrediction> Read(IReadOnlyCollection<DisposableNamedOnnxValue> results, int count)
    {
        var abnormal = results.First(r => r.Name == AbnormalOutput).AsTensor<float>();
        var joints = BodyPartOutput is null ? null : results.First(r => r.Name == BodyPartOutput).AsTensor<float>();
        var output = new ViewPrediction[count];
        for (var n = 0; n < count; n++)
        {
            output[n] = new ViewPrediction(AbnormalProbability(abnormal[n, 0], abnormal[n, 1]), joints is null ? null : OnnxModel.ArgMax(joints, n, MultitaskJoints), null, 0, 0);
        }

        return output;
    }

    /// <summary>
    /// P(abnormal) from a (normal, abnormal) pair: taken as it is when the pair already is a probability distribution
    /// (a model ending in softmax), else the softmax of the pair (a model ending in logits).
    /// </summary>
    public static double AbnormalProbability(float normal, float abnormal)
    {
        if (normal is >= 0 and <= 1 && abnormal is >= 0 and <= 1 && Math.Abs(normal + abnormal - 1) < 1e-4)
        {
            return abnormal;
        }

        var m = Math.Max(normal, abnormal);
        var en = Math.Exp(normal - m);
        var ea = Math.Exp(abnormal - m);
        return ea / (en + ea);
    }
}
