using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>A scratch folder and one generated phantom study for a test class whose tests write files; the folder goes after each test.</summary>
public abstract class PhantomScratch(ulong seed, int minSide, int maxSide) : IDisposable
{
    /// <summary>This test's own folder.</summary>
    protected string Dir { get; } = Peers.TempDir();

    /// <summary>The phantom study (the same bytes for the same seed).</summary>
    protected PhantomStudy Study { get; } = new PhantomGenerator(seed, minSide: minSide, maxSide: maxSide).Generate(0);

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
