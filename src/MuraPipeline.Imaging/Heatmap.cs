namespace MuraPipeline.Imaging;

/// <summary>Colour-mapped class activation overlays on a derivative.</summary>
public static class Heatmap
{
    /// <summary>Blends a CAM grid (any scale) over <paramref name="image"/>, shrunk so its long side is <paramref name="maxSide"/>.</summary>
    public static RgbImage Overlay(GrayImage image, float[] cam, int camWidth, int camHeight, int maxSide, double alpha = 0.45)
    {
        var (w, h) = PixelPipeline.Fit(image.Width, image.Height, maxSide);
        var baseImg = w == image.Width && h == image.Height ? image.Pixels.Select(b => (float)b).ToArray() : Resampler.Resize(image, w, h);
        var min = cam.Min();
        var max = cam.Max();
        var span = max - min < 1e-12f ? 1f : max - min;
        var o = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            // Bilinear sample of the CAM grid at the pixel's centre.
            var gy = Math.Clamp((((y + 0.5) / h) * camHeight) - 0.5, 0, camHeight - 1);
            var y0 = (int)gy;
            var y1 = Math.Min(y0 + 1, camHeight - 1);
            var fy = gy - y0;
            for (var x = 0; x < w; x++)
            {
                var gx = Math.Clamp((((x + 0.5) / w) * camWidth) - 0.5, 0, camWidth - 1);
                var x0 = (int)gx;
                var x1 = Math.Min(x0 + 1, camWidth - 1);
                var fx = gx - x0;
                var v = ((1 - fy) * (((1 - fx) * cam[(y0 * camWidth) + x0]) + (fx * cam[(y0 * camWidth) + x1])))
                    + (fy * (((1 - fx) * cam[(y1 * camWidth) + x0]) + (fx * cam[(y1 * camWidth) + x1])));
                var t = (v - min) / span;
                var (r, g, b) = Jet(t);
                var gray = baseImg[(y * w) + x];
                var a = alpha * t;
                var i = ((y * w) + x) * 3;
                o[i] = (byte)Math.Clamp((int)((gray * (1 - a)) + (r * a) + 0.5), 0, 255);
                o[i + 1] = (byte)Math.Clamp((int)((gray * (1 - a)) + (g * a) + 0.5), 0, 255);
                o[i + 2] = (byte)Math.Clamp((int)((gray * (1 - a)) + (b * a) + 0.5), 0, 255);
            }
        }

        return new RgbImage(w, h, o);
    }

    /// <summary>The peak of a CAM grid, as a fraction (0..1) of the width and height, at the cell centre.</summary>
    public static (double X, double Y) Peak(float[] cam, int camWidth, int camHeight)
    {
        var best = 0;
        for (var i = 1; i < cam.Length; i++)
        {
            if (cam[i] > cam[best])
            {
                best = i;
            }
        }

        return (((best % camWidth) + 0.5) / camWidth, ((best / camWidth) + 0.5) / camHeight);
    }

    private static (double R, double G, double B) Jet(double t)
    {
        t = Math.Clamp(t, 0, 1);
        double R(double v) => Math.Clamp(1.5 - Math.Abs((4 * t) - v), 0, 1) * 255;
        return (R(3), R(2), R(1));
    }
}
