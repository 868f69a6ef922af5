using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>A few dozen MURA-layout phantoms and one small model trained on them for one epoch by src/training/train.py.</summary>
public sealed class TrainingFixture : IDisposable
{
    public TrainingFixture()
    {
        PhantomWriter.WriteAll(new PhantomGenerator(41, minSide: 400, maxSide: 560), 24, Train, PhantomFormat.Mura);
        PhantomWriter.WriteAll(new PhantomGenerator(42, minSide: 400, maxSide: 560), 8, Valid, PhantomFormat.Mura);
        CompactModel = Path.Combine(Dir, "compact.onnx");
        var (code, output) = TrainingTests.Train("--train", Train, "--valid", Valid, "--out", CompactModel, "--arch", "compact", "--channels", "1", "--size", "64", "--pool", "lse", "--box-weight", "1");
        Assert.True(code == 0, output);
    }

    public string Dir { get; } = Peers.TempDir();

    public string Train => Path.Combine(Dir, "train");

    public string Valid => Path.Combine(Dir, "valid");

    public string CompactModel { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
