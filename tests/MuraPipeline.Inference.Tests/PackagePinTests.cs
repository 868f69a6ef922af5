using MuraPipeline.Tests;

namespace MuraPipeline.Inference.Tests;

/// <summary>infra/check-pins.py, which the test command runs after restore: a pinned package must resolve to exactly its pin.</summary>
public sealed class PackagePinTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Script => Path.Combine(Peers.RepositoryRoot(), "infra", "check-pins.py");

    private void Restored(string project, string package, string version)
    {
        var obj = Directory.CreateDirectory(Path.Combine(_dir, "src", project, "obj")).FullName;
        File.WriteAllText(Path.Combine(obj, "project.assets.json"), $$"""{ "version": 3, "libraries": { "{{package}}/{{version}}": { "type": "package" }, "Other.Package/2.0.0": { "type": "package" } } }""");
    }

    [Fact]
    public void A_pin_that_the_registry_resolved_to_another_version_fails_the_check_naming_both_versions()
    {
        File.WriteAllText(Path.Combine(_dir, "Directory.Packages.props"), """
            <Project><ItemGroup>
              <PackageVersion Include="Microsoft.ML.OnnxRuntime.Gpu" Version="1.31.1" />
            </ItemGroup></Project>
            """);
        Restored("A", "Microsoft.ML.OnnxRuntime.Gpu", "1.31.1");
        Assert.Equal(0, Peers.Run("/usr/bin/python3", Script, _dir).ExitCode);

        // NuGet took the next version (NU1603) because the registry lacks the pin: the check must refuse.
        Restored("B", "Microsoft.ML.OnnxRuntime.Gpu", "1.32.0");
        var (code, _, stderr) = Peers.Run("/usr/bin/python3", Script, _dir);
        Assert.Equal(1, code);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu: pinned 1.31.1, resolved 1.32.0", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_pin_of_this_repository_resolved_exactly()
    {
        // The default build's restore (obj/); the CPU-only build's (obj-cpu/) is checked by the test that builds it.
        var (code, stdout, stderr) = Peers.Run("/usr/bin/python3", Script, Peers.RepositoryRoot(), "--obj", "obj");
        Assert.True(code == 0, stderr);
        Assert.Contains("every pinned package resolved exactly", stdout, StringComparison.Ordinal);
    }
}
