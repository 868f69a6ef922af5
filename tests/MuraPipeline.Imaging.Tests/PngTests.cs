using MuraPipeline.Tests;

namespace MuraPipeline.Imaging.Tests;

public sealed class PngTests
{
    [Fact]
    public void Gray_image_round_trips()
    {
        var px = Enumerable.Range(0, 37 * 23).Select(i => (byte)(i * 7 % 256)).ToArray();
        var back = Png.DecodeGray(Png.Encode(new GrayImage(37, 23, px)));
        Assert.Equal((37, 23), (back.Width, back.Height));
        Assert.Equal(px, back.Pixels);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(67, 5)]
    [InlineData(512, 410)]
    public void Pillow_reads_what_we_write_pixel_for_pixel(int width, int height)
    {
        var rng = new Random(width);
        var px = Enumerable.Range(0, width * height).Select(i => (byte)((i % width * 3) + (i / width) + rng.Next(7))).ToArray();
        var dir = Peers.TempDir();
        try
        {
            var path = Path.Combine(dir, "ours.png");
            File.WriteAllBytes(path, Png.Encode(new GrayImage(width, height, px)));
            var (code, stdout, stderr) = Peers.Python("import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.mode, im.size[0], im.size[1])", path);
            Assert.True(code == 0, stderr);
            Assert.StartsWith($"L {width} {height}\n", stdout, StringComparison.Ordinal);
            var (_, bytes, _) = Peers.Run("/usr/bin/python3", "-c", "import sys; from PIL import Image; sys.stdout.write(Image.open(sys.argv[1]).tobytes().hex())", path);
            Assert.Equal(Convert.ToHexStringLower(px), bytes.Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Corrupt_and_truncated_pngs_fail_with_a_reason()
    {
        var png = Png.Encode(new GrayImage(8, 8, new byte[64]));
        var flipped = (byte[])png.Clone();
        flipped[40] ^= 0xFF;
        Assert.Contains("CRC", Assert.Throws<PngException>(() => Png.DecodeGray(flipped)).Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Assert.Throws<PngException>(() => Png.DecodeGray(png.AsSpan(0, 40))).Message, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Throws<PngException>(() => Png.DecodeGray([])).Message, StringComparison.Ordinal);

        // Signature, IHDR and IEND with no IDAT between them: no image data at all.
        var idatAt = 8 + 12 + 13;
        var idatLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idatAt));
        var noData = png[..idatAt].Concat(png[(idatAt + 12 + idatLength)..]).ToArray();
        Assert.Contains("shorter than its dimensions need", Assert.Throws<PngException>(() => Png.DecodeGray(noData)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decodes_an_image_whose_data_is_split_over_many_idat_chunks()
    {
        var dir = Peers.TempDir();
        try
        {
            // Pillow writes noise of this size in several IDAT chunks; the script says how many, and the pixels.
            var path = Path.Combine(dir, "noise.png");
            var script = """
                import sys, struct
                from PIL import Image
                import numpy as np
                g = np.random.default_rng(7).integers(0, 256, size=(300, 400), dtype=np.uint8)
                Image.fromarray(g, 'L').save(sys.argv[1])
                data, pos, idat = open(sys.argv[1], 'rb').read(), 8, 0
                while pos < len(data):
                    n = struct.unpack('>I', data[pos:pos + 4])[0]
                    idat += data[pos + 4:pos + 8] == b'IDAT'
                    pos += 12 + n
                print(idat, g.tobytes().hex())
                """;
            var (code, stdout, stderr) = Peers.Python(script, path);
            Assert.True(code == 0, stderr);
            var parts = stdout.Trim().Split(' ');
            Assert.True(int.Parse(parts[0]) > 1, $"Pillow wrote {parts[0]} IDAT chunk(s); the test needs several");
            var ours = Png.DecodeGray(File.ReadAllBytes(path));
            Assert.Equal((400, 300), (ours.Width, ours.Height));
            Assert.Equal(parts[1], Convert.ToHexStringLower(ours.Pixels));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("L", false)]
    [InlineData("I;16", false)]
    [InlineData("RGB", false)]
    [InlineData("P", false)]
    [InlineData("LA", false)]
    [InlineData("L", true)]
    [InlineData("RGB", true)]
    public void Decodes_what_pillow_writes_like_pillow_does(string mode, bool interlaced)
    {
        var dir = Peers.TempDir();
        try
        {
            var path = Path.Combine(dir, "x.png");
            // Pillow (Debian's python3-pil) writes the file and its own grayscale reading of it.
            var script = """
                import sys
                from PIL import Image
                import numpy as np
                mode, interlace, out = sys.argv[1], sys.argv[2] == '1', sys.argv[3]
                y, x = np.mgrid[0:45, 0:61]
                g = ((x * 4 + y * 3) % 256).astype('uint8')
                if mode == 'I;16':
                    im = Image.fromarray((g.astype('uint16') * 257), 'I;16')
                elif mode == 'RGB':
                    im = Image.fromarray(np.stack([g, 255 - g, (g // 2)], -1), 'RGB')
                elif mode == 'P':
                    im = Image.fromarray(g, 'L').convert('RGB').quantize(64)
                elif mode == 'LA':
                    im = Image.fromarray(np.stack([g, 255 - g], -1), 'LA')
                else:
                    im = Image.fromarray(g, 'L')
                im.save(out, interlace=interlace)
                ref = Image.open(out)
                ref = (np.asarray(ref).astype('float64') / 257).round().astype('uint8') if mode == 'I;16' else np.asarray(ref.convert('RGB').convert('L') if mode != 'L' else ref)
                print(' '.join(str(int(v)) for v in np.asarray(ref).ravel()))
                """;
            var (code, stdout, stderr) = Peers.Python(script, mode, interlaced ? "1" : "0", path);
            Assert.True(code == 0, stderr);
            var expected = stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(byte.Parse).ToArray();
            var ours = Png.DecodeGray(File.ReadAllBytes(path));
            Assert.Equal((61, 45), (ours.Width, ours.Height));
            var worst = expected.Zip(ours.Pixels, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1, $"largest difference from Pillow is {worst}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
