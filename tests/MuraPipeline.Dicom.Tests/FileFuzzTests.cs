using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// Bounded, seeded fuzzing of the reader and the decoders: mutated files (byte flips, truncations, length fields set
/// huge) in native, RLE, JPEG lossless and deflated form either decode or fail with a DicomException; nothing else.
/// </summary>
public sealed class FileFuzzTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mutated_files_decode_or_fail_with_a_dicom_error_only()
    {
        var study = new PhantomGenerator(seed: 53, minSide: 96, maxSide: 128).Generate(0);
        var ds = PhantomWriter.ToDataset(study, study.Views[0]);
        var source = Path.Combine(_dir, "source.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(source);
        var seeds = new List<byte[]> { File.ReadAllBytes(source) };
        foreach (var (program, option) in new[] { ("dcmcrle", "+un"), ("dcmcjpeg", "+e1"), ("dcmconv", "+td"), ("dcmconv", "+tb") })
        {
            var target = Path.Combine(_dir, $"{program}{option}.dcm");
            var r = Peers.Run(program, option, source, target);
            Assert.True(r.ExitCode == 0, r.Stderr);
            seeds.Add(File.ReadAllBytes(target));
        }

        var rng = new Random(20261122);
        int decoded = 0, refused = 0;
        for (var i = 0; i < 1200; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Count].Clone();
            switch (rng.Next(4))
            {
                case 0:
                    bytes = bytes[..rng.Next(bytes.Length)];
                    break;
                case 1:
                    // A 32-bit length field somewhere in the header made huge.
                    var at = rng.Next(132, Math.Min(bytes.Length - 4, 1200));
                    BitConverter.TryWriteBytes(bytes.AsSpan(at), 0xFFFFFFF0u - (uint)rng.Next(16));
                    break;
                default:
                    for (var m = rng.Next(1, 12); m > 0; m--)
                    {
                        // Mostly the header and the start of the pixel stream, where structure lives.
                        var p = rng.Next(2) == 0 ? rng.Next(Math.Min(bytes.Length, 1500)) : rng.Next(bytes.Length);
                        bytes[p] = (byte)rng.Next(256);
                    }

                    break;
            }

            try
            {
                var file = DicomReader.Read(bytes, stopAtPixelData: false);
                var px = DicomPixelData.From(file);
                var frame = px.DecodeFrame();
                Assert.Equal(px.Rows * px.Columns * px.SamplesPerPixel, frame.Values.Length);
                decoded++;
            }
            catch (DicomException)
            {
                refused++;
            }
        }

        output.WriteLine($"decoded {decoded}, refused {refused}");
        // Both outcomes occur: the fuzzer reaches the decoders, and it also breaks things.
        Assert.True(decoded > 50 && refused > 50, $"decoded {decoded}, refused {refused}");
    }
}
