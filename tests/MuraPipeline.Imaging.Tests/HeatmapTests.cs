namespace MuraPipeline.Imaging.Tests;

public sealed class HeatmapTests
{
    private static float[] Grid(int w, int h, params (int X, int Y, float V)[] hot)
    {
        var g = new float[w * h];
        foreach (var (x, y, v) in hot)
        {
            g[(y * w) + x] = v;
        }

        return g;
    }

    [Fact]
    public void A_single_hot_cell_peaks_at_its_centre()
    {
        var (x, y) = Heatmap.Peak(Grid(16, 16, (5, 9, 3f)), 16, 16);
        Assert.Equal(5.5 / 16, x, 1e-12);
        Assert.Equal(9.5 / 16, y, 1e-12);
    }

    [Fact]
    public void A_finding_straddling_two_cells_peaks_between_them_weighted_by_their_heat()
    {
        // Two equal neighbours: the peak lies on their shared edge; a weaker right neighbour pulls it a third of the way.
        var (x, _) = Heatmap.Peak(Grid(16, 16, (7, 4, 2f), (8, 4, 2f)), 16, 16);
        Assert.Equal(8.0 / 16, x, 1e-12);
        var (x2, y2) = Heatmap.Peak(Grid(16, 16, (7, 4, 2f), (8, 4, 1f)), 16, 16);
        Assert.Equal(((7.5 * 2) + (8.5 * 1)) / 3 / 16, x2, 1e-12);
        Assert.Equal(4.5 / 16, y2, 1e-12);
    }

    [Fact]
    public void Heat_far_from_the_hottest_cell_does_not_move_the_peak_and_edges_are_handled()
    {
        var (x, y) = Heatmap.Peak(Grid(8, 8, (0, 0, 5f), (6, 6, 4f)), 8, 8);
        Assert.Equal(0.5 / 8, x, 1e-12);
        Assert.Equal(0.5 / 8, y, 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => Heatmap.Peak(new float[10], 4, 4));
    }

    /// <summary>The overlay a pixel at a time, as its definition reads: the bilinear sample, the jet map, the blend.</summary>
    private static byte[] Definition(float[] cam, int cw, int ch, int w, int h, byte[]? gray, double alpha)
    {
        var min = cam.Min();
        var max = cam.Max();
        var span = max - min < 1e-12f ? 1f : max - min;
        var o = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var gx = Math.Clamp((((x + 0.5) / w) * cw) - 0.5, 0, cw - 1);
                var gy = Math.Clamp((((y + 0.5) / h) * ch) - 0.5, 0, ch - 1);
                int x0 = (int)gx, y0 = (int)gy, x1 = Math.Min(x0 + 1, cw - 1), y1 = Math.Min(y0 + 1, ch - 1);
                double fx = gx - x0, fy = gy - y0;
                var v = ((1 - fy) * (((1 - fx) * cam[(y0 * cw) + x0]) + (fx * cam[(y0 * cw) + x1]))) + (fy * (((1 - fx) * cam[(y1 * cw) + x0]) + (fx * cam[(y1 * cw) + x1])));
                var t = (v - min) / span;
                var tc = Math.Clamp(t, 0, 1);
                for (var c = 0; c < 3; c++)
                {
                    var colour = Math.Clamp(1.5 - Math.Abs((4 * tc) - (3 - c)), 0, 1) * 255;
                    var i = (((y * w) + x) * 3) + c;
                    if (gray is null)
                    {
                        o[i] = (byte)Math.Clamp((int)(colour + 0.5), 0, 255);
                    }
                    else
                    {
                        var a = alpha * t;
                        o[i] = (byte)Math.Clamp((int)((gray[(y * w) + x] * (1 - a)) + (colour * a) + 0.5), 0, 255);
                    }
                }
            }
        }

        return o;
    }

    [Theory]
    [InlineData(37, 23, 7, 5)] // a width with a tail after the last eight
    [InlineData(64, 40, 16, 16)]
    [InlineData(203, 131, 8, 8)]
    [InlineData(5, 3, 16, 16)] // narrower than eight: the pixel-at-a-time loop alone
    public void The_overlay_and_the_colour_map_are_their_definition_at_every_pixel(int w, int h, int cw, int ch)
    {
        var rng = new Random((w * 31) + cw);
        var pixels = new byte[w * h];
        rng.NextBytes(pixels);
        var cam = Enumerable.Range(0, cw * ch).Select(_ => (float)((rng.NextDouble() * 6) - 2)).ToArray();
        var image = new GrayImage(w, h, pixels);
        Assert.Equal(Definition(cam, cw, ch, w, h, pixels, 0.45), Heatmap.Overlay(image, cam, cw, ch, Math.Max(w, h)).Pixels);
        Assert.Equal(Definition(cam, cw, ch, w, h, null, 0), Heatmap.ColourMap(image, cam, cw, ch, Math.Max(w, h)).Pixels);

        // A flat grid (no span) and one with a NaN in it (the pixel-at-a-time loop takes the whole image).
        var flat = Enumerable.Repeat(0.7f, cw * ch).ToArray();
        Assert.Equal(Definition(flat, cw, ch, w, h, pixels, 0.45), Heatmap.Overlay(image, flat, cw, ch, Math.Max(w, h)).Pixels);
        cam[cw / 2] = float.NaN;
        Assert.Equal(Definition(cam, cw, ch, w, h, pixels, 0.45), Heatmap.Overlay(image, cam, cw, ch, Math.Max(w, h)).Pixels);
    }
}
