using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging.Tests;

public sealed class PixelPipelineTests
{
    private static byte[] Map(int[] stored, GrayscaleTransform t) =>
        PixelPipeline.Derive(new StoredFrame(stored.Length, 1, 1, stored), t).Pixels;

    [Fact]
    public void Linear_window_follows_the_dicom_formula()
    {
        // c = 100, w = 21: up to 100 - 0.5 - 10 = 89.5 is black, above 109.5 is white, y = ((x - 99.5) / 20 + 0.5) * 255 between (PS3.3 C.11.2.1.2.1).
        var t = new GrayscaleTransform(1, 0, 100, 21, Invert: false);
        Assert.Equal([0, 0, 6, 134, 249, 255, 255], Map([50, 89, 90, 100, 109, 110, 400], t));
    }

    [Fact]
    public void Rescale_slope_and_intercept_apply_before_the_window()
    {
        // modality = 2 * stored - 1000; the window is in modality units.
        var t = new GrayscaleTransform(2, -1000, 0, 201, Invert: false);
        Assert.Equal([0, 128, 255], Map([400, 500, 600], t));
    }

    [Fact]
    public void Monochrome1_is_inverted_so_bone_stays_bright()
    {
        var t = new GrayscaleTransform(1, 0, 100, 21, Invert: true);
        Assert.Equal([255, 121, 0], Map([50, 100, 400], t));
    }

    [Fact]
    public void Without_a_window_robust_percentiles_ignore_outliers()
    {
        var stored = new int[1000];
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = 1000 + i;
        }

        stored[0] = 0;
        stored[^1] = 60000;
        var (lo, hi) = PixelPipeline.PercentileRange(stored, new GrayscaleTransform(1, 0, null, null, false));
        Assert.InRange(lo, 1000, 1010);
        Assert.InRange(hi, 1990, 2000);
    }

    [Theory]
    [InlineData(4096, 0)] // a 12-bit range: counted in four interleaved tables
    [InlineData(300_000, -70_000)] // wider than 16 bits (32-bit data): one table
    public void Percentiles_are_the_sorted_values_at_their_ranks_whatever_the_range(int span, int offset)
    {
        // Runs of equal values (as a radiograph's background gives) and scattered ones.
        var rng = new Random(span);
        var stored = Enumerable.Range(0, 20_011).Select(i => i % 7 == 0 ? offset + 5 : offset + rng.Next(span)).ToArray();
        var t = new GrayscaleTransform(0.5, 10, null, null, false);
        var sorted = stored.Order().ToArray();
        double At(double q) => (sorted[(int)Math.Floor(q * (sorted.Length - 1))] * 0.5) + 10;
        Assert.Equal((At(PixelPipeline.LowPercentile), At(PixelPipeline.HighPercentile)), PixelPipeline.PercentileRange(stored, t));
    }

    [Fact]
    public void Long_side_is_reduced_to_512_by_area_average_keeping_aspect()
    {
        var w = 2048;
        var h = 1024;
        var stored = new int[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                stored[(y * w) + x] = (x / 4 % 2 == 0) ? 0 : 255;
            }
        }

        var image = PixelPipeline.Derive(new StoredFrame(w, h, 1, stored), new GrayscaleTransform(1, 0, 128, 256, false));
        Assert.Equal((512, 256), (image.Width, image.Height));
        // Each output pixel covers 4 columns of one stripe: stripes alternate black and white, not blurred to grey.
        Assert.Equal(0, image[0, 10]);
        Assert.Equal(255, image[1, 10]);
    }
}
