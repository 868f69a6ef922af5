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
}
