namespace MuraPipeline.Imaging.Tests;

/// <summary>The model input's resize against its definition, computed one value at a time.</summary>
public sealed class ResamplerTests
{
    [Theory]
    [InlineData(419, 512, 256, 256)] // a derivative to the bundled model's input: shrunk both ways
    [InlineData(512, 354, 224, 224)]
    [InlineData(37, 61, 29, 17)] // fewer than eight columns of room at the right edge
    [InlineData(300, 100, 224, 224)] // shrunk across, enlarged down
    [InlineData(100, 300, 224, 224)] // enlarged across, shrunk down
    public void Resize_is_its_definition_bit_for_bit(int w, int h, int ow, int oh)
    {
        var rng = new Random(w * h);
        var image = new GrayImage(w, h, Enumerable.Range(0, w * h).Select(_ => (byte)rng.Next(256)).ToArray());
        var across = Axis(image.Pixels.Select(b => (float)b).ToArray(), w, h, ow, horizontal: true);
        var expected = Axis(across, ow, h, oh, horizontal: false);
        Assert.Equal(expected, Resampler.Resize(image, ow, oh));
    }

    /// <summary>One axis: an area average in double (weights times values, added in order from zero) when shrinking, bilinear when enlarging.</summary>
    private static float[] Axis(float[] src, int w, int h, int outLen, bool horizontal)
    {
        var (inLen, lines) = horizontal ? (w, h) : (h, w);
        var dst = new float[outLen * lines];
        float At(int line, int i) => horizontal ? src[(line * w) + i] : src[(i * w) + line];
        void Set(int line, int o, float v) => dst[horizontal ? (line * outLen) + o : (o * w) + line] = v;
        var weights = Resampler.AreaWeights(inLen, outLen);
        var scale = (double)inLen / outLen;
        for (var line = 0; line < lines; line++)
        {
            for (var o = 0; o < outLen; o++)
            {
                if (outLen <= inLen)
                {
                    var (start, wt) = weights[o];
                    var acc = 0.0;
                    for (var k = 0; k < wt.Length; k++)
                    {
                        acc += wt[k] * At(line, start + k);
                    }

                    Set(line, o, (float)acc);
                }
                else
                {
                    var x = Math.Clamp(((o + 0.5) * scale) - 0.5, 0, inLen - 1);
                    var x0 = (int)x;
                    var x1 = Math.Min(x0 + 1, inLen - 1);
                    var f = x - x0;
                    Set(line, o, (float)((At(line, x0) * (1 - f)) + (At(line, x1) * f)));
                }
            }
        }

        return dst;
    }
}
