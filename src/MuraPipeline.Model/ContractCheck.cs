namespace MuraPipeline.Model;

/// <summary>
/// The export check: ONNX Runtime runs the training script's fixed reference inputs (FILE.check.npz: "image" and
/// PyTorch's outputs under the model's output names) and must reproduce every output within <see cref="Tolerance"/>.
/// </summary>
public sealed record ContractCheck(IReadOnlyList<(string Output, double Difference)> Differences, string? Failure)
{
    public const double Tolerance = 1e-3;

    public bool Passed => Failure is null;

    /// <summary>The check, or null when there are no reference outputs at <paramref name="referencePath"/>.</summary>
    public static ContractCheck? Run(OnnxModel model, string referencePath)
    {
        if (!File.Exists(referencePath))
        {
            return null;
        }

        var reference = Npz.Read(referencePath);
        if (!reference.TryGetValue("image", out var image))
        {
            return new ContractCheck([], $"{referencePath} has no 'image' array");
        }

        if (image.Shape.Length != 4 || image.Shape[1] != model.Channels || image.Shape[2] != model.Height || image.Shape[3] != model.Width)
        {
            return new ContractCheck([], $"reference input has shape [{string.Join(",", image.Shape)}], the model takes [N,{model.Channels},{model.Height},{model.Width}]");
        }

        var outputs = model.RunRaw(image.Data, image.Shape[0]);
        var diffs = new List<(string, double)>();
        foreach (var (name, expected) in reference.Where(kv => kv.Key != "image").OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!outputs.TryGetValue(name, out var actual))
            {
                return new ContractCheck(diffs, $"the model has no output '{name}'");
            }

            if (actual.Length != expected.Data.Length)
            {
                return new ContractCheck(diffs, $"output '{name}' has {actual.Length} values, PyTorch gave {expected.Data.Length}");
            }

            diffs.Add((name, expected.Data.Zip(actual, (a, b) => (double)Math.Abs(a - b)).DefaultIfEmpty(0).Max()));
        }

        var worst = diffs.Where(d => !(d.Item2 <= Tolerance)).Select(d => d.Item1).ToList();
        return new ContractCheck(diffs, diffs.Count == 0 ? "no reference outputs to compare" : worst.Count > 0 ? $"{string.Join(", ", worst)} differ" : null);
    }
}
