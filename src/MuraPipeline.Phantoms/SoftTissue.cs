namespace MuraPipeline.Phantoms;

/// <summary>A soft-tissue envelope: a capsule (A≠B) or an ellipse.</summary>
public sealed class SoftTissue : Primitive
{
    private readonly Vec _a, _b;
    private readonly double _r, _rb, _cos, _sin;
    private readonly bool _ellipse;

    private SoftTissue(Vec a, Vec b, double r, double rb, double angle, bool ellipse)
    {
        _a = a;
        _b = b;
        _r = r;
        _rb = rb;
        _cos = Math.Cos(angle);
        _sin = Math.Sin(angle);
        _ellipse = ellipse;
    }

    public static SoftTissue Capsule(Vec a, Vec b, double r) => new(a, b, r, r, 0, ellipse: false);

    public static SoftTissue Ellipse(Vec c, double ra, double rb, double angle = 0) => new(c, c, ra, rb, angle, ellipse: true);

    public override Layer Layer => Layer.Soft;

    public override IEnumerable<Vec> Hull()
    {
        if (_ellipse)
        {
            return Vec.OrientedBox(_a, new Vec(_cos, _sin), _r, _rb);
        }

        var axis = (_b - _a).Unit;
        var n = axis.Perp * _r;
        var t = axis * _r;
        return [_a - t + n, _a - t - n, _b + t + n, _b + t - n];
    }

    public override double Path(Vec q)
    {
        if (_ellipse)
        {
            var d = q - _a;
            var u = ((d.X * _cos) + (d.Y * _sin)) / _r;
            var v = ((-d.X * _sin) + (d.Y * _cos)) / _rb;
            var s = (u * u) + (v * v);
            return s >= 1 ? 0 : 2 * Math.Min(_r, _rb) * Math.Sqrt(1 - s);
        }

        var ab = _b - _a;
        var t = Math.Clamp((q - _a).Dot(ab) / ab.Dot(ab), 0, 1);
        var p = _a + (ab * t);
        var d2 = (q - p).Dot(q - p);
        return d2 >= _r * _r ? 0 : 2 * Math.Sqrt((_r * _r) - d2);
    }
}
