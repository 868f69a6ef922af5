using System.Globalization;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// The fuzzers' settings and their corpus. MURA_FUZZ_CASES sets how many mutated inputs each fuzzer makes (10,000 by
/// default, what the suite runs), MURA_FUZZ_SEED the seed (case i is made by <c>new Random(seed + i)</c> alone, so one
/// case is reproduced without the others). An input that fails is written under the temporary folder and named in
/// the assertion; once fixed it goes into <c>corpus/KIND/</c>, which the regression tests replay on every run.
/// </summary>
internal static class Fuzz
{
    public static int Cases => int.TryParse(Environment.GetEnvironmentVariable("MURA_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 10_000;

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("MURA_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 20_261_202;

    /// <summary>Keeps a failing input where a developer finds it; its path.</summary>
    public static string Keep(string kind, int index, byte[] bytes)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "mura-fuzz-failures", kind)).FullName;
        var path = Path.Combine(dir, $"{Seed}-{index}.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The kept inputs of one kind (copied beside the test assembly from corpus/KIND).</summary>
    public static IReadOnlyList<string> Corpus(string kind)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "corpus", kind);
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToList() : [];
    }
}
