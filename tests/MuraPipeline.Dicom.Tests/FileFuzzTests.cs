using System.Diagnostics;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// Seeded fuzzing of the reader and the decoders with <see cref="Fuzz.Cases"/> mutated Part-10 files (bytes flipped,
/// lengths made huge or zero, VRs and tags changed, truncated, stretches inserted or cut) in native, RLE, JPEG lossless,
/// JPEG-LS, deflated and big-endian form: each either decodes to a frame of its stated size or fails with a
/// DicomException, nothing else, and none takes long (a hang is a failure).
/// </summary>
public sealed class FileFuzzTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Slowest = TimeSpan.FromSeconds(5);
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mutated_files_decode_or_fail_with_a_dicom_error_only()
    {
        var seeds = Seeds();
        var cases = Fuzz.Cases;
        int decoded = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        var started = Stopwatch.StartNew();
        for (var i = 0; i < cases; i++)
        {
            var bytes = Mutate(seeds, new Random(Fuzz.Seed + i));
            var watch = Stopwatch.StartNew();
            string? failure;
            try
            {
                failure = Decode(bytes) ? null : "the frame is not Rows x Columns x Samples";
                decoded++;
            }
            catch (DicomException)
            {
                failure = null;
                refused++;
            }
#pragma warning disable CA1031 // Anything else is what the fuzzer looks for: keep the input and report it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = $"{ex.GetType().Name}: {ex.Message}";
            }

            watch.Stop();
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            Assert.True(failure is null, $"case {i}: {failure}; input kept as {(failure is null ? "" : Fuzz.Keep("part10", i, bytes))}");
            Assert.True(watch.Elapsed < Slowest, $"case {i} took {watch.Elapsed.TotalSeconds:0.0} s; input kept as {Fuzz.Keep("part10", i, bytes)}");
        }

        output.WriteLine($"{cases} files (seed {Fuzz.Seed}) in {started.Elapsed.TotalSeconds:0.0} s: decoded {decoded}, refused {refused}, slowest {slowest.TotalMilliseconds:0} ms");
        // Both outcomes occur: the fuzzer reaches the decoders, and it also breaks things.
        Assert.True(decoded > cases / 50 && refused > cases / 50, $"decoded {decoded}, refused {refused}");
    }

    [Fact]
    public void Kept_files_that_once_failed_decode_or_fail_with_a_dicom_error()
    {
        foreach (var path in Fuzz.Corpus("part10"))
        {
            try
            {
                Assert.True(Decode(File.ReadAllBytes(path)), path);
            }
            catch (DicomException)
            {
                // Refused with a reason: what it should do.
            }
        }
    }

    /// <summary>Reads and decodes the first frame; whether it has the size the header states.</summary>
    private static bool Decode(byte[] bytes)
    {
        var file = DicomReader.Read(bytes, stopAtPixelData: false);
        var px = DicomPixelData.From(file);
        var frame = px.DecodeFrame();
        return frame.Values.Length == px.Rows * px.Columns * px.SamplesPerPixel;
    }

    private List<byte[]> Seeds()
    {
        var study = new PhantomGenerator(seed: 53, minSide: 96, maxSide: 128).Generate(0);
        var ds = PhantomWriter.ToDataset(study, study.Views[0]);
        var source = Path.Combine(_dir, "source.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(source);
        var seeds = new List<byte[]> { File.ReadAllBytes(source) };
        foreach (var (program, option) in new[] { ("dcmcrle", "+un"), ("dcmcjpeg", "+e1"), ("dcmcjpls", "+el"), ("dcmconv", "+td"), ("dcmconv", "+tb"), ("dcmconv", "+ti") })
        {
            var target = Path.Combine(_dir, $"{program}{option}.dcm");
            var r = Peers.Run(program, option, source, target);
            Assert.True(r.ExitCode == 0, r.Stderr);
            seeds.Add(File.ReadAllBytes(target));
        }

        return seeds;
    }

    private static byte[] Mutate(List<byte[]> seeds, Random rng)
    {
        var bytes = (byte[])seeds[rng.Next(seeds.Count)].Clone();
        for (var r = rng.Next(1, 3); r > 0 && bytes.Length > 140; r--)
        {
            // Mostly the header and the start of the pixel stream, where structure lives.
            int Anywhere() => rng.Next(2) == 0 ? rng.Next(132, Math.Min(bytes.Length, 1500)) : rng.Next(132, bytes.Length);
            switch (rng.Next(7))
            {
                case 0:
                    bytes = bytes[..rng.Next(bytes.Length)];
                    break;
                case 1:
                    {
                        // A 32-bit length field somewhere in the header made huge, zero or odd.
                        var at = rng.Next(132, Math.Min(bytes.Length - 4, 1200));
                        uint[] lengths = [0xFFFFFFF0u - (uint)rng.Next(16), 0, 1, 0xFFFFFFFF, (uint)rng.Next()];
                        BitConverter.TryWriteBytes(bytes.AsSpan(at), lengths[rng.Next(lengths.Length)]);
                        break;
                    }

                case 2:
                    {
                        // A 16-bit length (explicit VR short form) or a VR replaced.
                        var at = rng.Next(132, Math.Min(bytes.Length - 2, 1200));
                        if (rng.Next(2) == 0)
                        {
                            BitConverter.TryWriteBytes(bytes.AsSpan(at), (ushort)rng.Next(65536));
                        }
                        else
                        {
                            string[] vrs = ["SQ", "OB", "UN", "UT", "OW", "US", "XX", "\0\0"];
                            var vr = vrs[rng.Next(vrs.Length)];
                            bytes[at] = (byte)vr[0];
                            bytes[at + 1] = (byte)vr[1];
                        }

                        break;
                    }

                case 3:
                    {
                        // Stretches inserted or cut.
                        var at = Anywhere();
                        if (rng.Next(2) == 0)
                        {
                            var junk = new byte[rng.Next(1, 64)];
                            rng.NextBytes(junk);
                            bytes = [.. bytes[..at], .. junk, .. bytes[at..]];
                        }
                        else
                        {
                            bytes = [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + rng.Next(1, 256))..]];
                        }

                        break;
                    }

                default:
                    for (var m = rng.Next(1, 12); m > 0; m--)
                    {
                        bytes[Anywhere()] = (byte)rng.Next(256);
                    }

                    break;
            }
        }

        return bytes;
    }
}
