namespace MuraPipeline.Phantoms;

/// <summary>Anatomy space → pixel space for one view: optional mirror, rotation, scale, shift, then pixels.</summary>
public sealed class ViewTransform
{
    private readonly double _cos, _sin, _scale, _tx, _ty, _long, _cx, _cy;
    private readonly bool _mirror;

    public ViewTransform(int width, int height, double rotation, double scale, double shiftX, double shiftY, bool mirror)
    {
        Width = width;
        Height = height;
        _cos = Math.Cos(rotation);
        _sin = Math.Sin(rotation);
        _scale = scale;
        _tx = shiftX;
        _ty = shiftY;
        _mirror = mirror;
        _long = Math.Max(width, height);
        _cx = width / 2.0;
        _cy = height / 2.0;
    }

    public int Width { get; }

    public int Height { get; }

    public (double X, double Y) ToPixel(Vec q)
    {
        var x = _mirror ? -q.X : q.X;
        var rx = ((x * _cos) - (q.Y * _sin)) * _scale;
        var ry = ((x * _sin) + (q.Y * _cos)) * _scale;
        return (_cx + ((rx + _tx) * _long), _cy + ((ry + _ty) * _long));
    }

    public Vec ToAnatomy(double px, double py)
    {
        var rx = (((px - _cx) / _long) - _tx) / _scale;
        var ry = (((py - _cy) / _long) - _ty) / _scale;
        var x = (rx * _cos) + (ry * _sin);
        var y = (-rx * _sin) + (ry * _cos);
        return new Vec(_mirror ? -x : x, y);
    }

    /// <summary>The pixel rectangle covering anatomy points, clipped to the image; null when it falls outside.</summary>
    public (int X0, int Y0, int X1, int Y1)? PixelBounds(IEnumerable<Vec> points, double marginPx = 2)
    {
        double x0 = double.MaxValue, y0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue;
        foreach (var p in points)
        {
            var (x, y) = ToPixel(p);
            x0 = Math.Min(x0, x);
            y0 = Math.Min(y0, y);
            x1 = Math.Max(x1, x);
            y1 = Math.Max(y1, y);
        }

        var ix0 = Math.Max(0, (int)Math.Floor(x0 - marginPx));
        var iy0 = Math.Max(0, (int)Math.Floor(y0 - marginPx));
        var ix1 = Math.Min(Width - 1, (int)Math.Ceiling(x1 + marginPx));
        var iy1 = Math.Min(Height - 1, (int)Math.Ceiling(y1 + marginPx));
        return ix1 <= ix0 || iy1 <= iy0 ? null : (ix0, iy0, ix1, iy1);
    }
}
