namespace MuraPipeline.Phantoms;

/// <summary>An ellipsoidal bone (carpal, epiphysis, humeral head, scapular plate).</summary>
public sealed class RoundBone : Primitive
{
    private readonly Vec _c;
    private readonly double _ra, _rb, _cos, _sin, _inner, _muC, _muM, _depth;

    public RoundBone(Vec centre, double ra, double rb, double angle = 0, double inner = 0.75, double muCortex = 1.0, double muMarrow = 0.4, double depth = -1)
    {
        _c = centre;
        _ra = ra;
        _rb = rb;
        _cos = Math.Cos(angle);
        _sin = Math.Sin(angle);
        _inner = inner;
        _muC = muCortex;
        _muM = muMarrow;
        _depth = depth > 0 ? depth : Math.Min(ra, rb);
    }

    public override Layer Layer => Layer.Bone;

    public override IEnumerable<Vec> Hull() => Vec.OrientedBox(_c, new Vec(_cos, _sin), _ra, _rb);

    public override double Path(Vec q)
    {
        var d = q - _c;
        var u = ((d.X * _cos) + (d.Y * _sin)) / _ra;
        var v = ((-d.X * _sin) + (d.Y * _cos)) / _rb;
        var s = (u * u) + (v * v);
        if (s >= 1)
        {
            return 0;
        }

        var outer = 2 * _depth * Math.Sqrt(1 - s);
        var si = s / (_inner * _inner);
        var medulla = si < 1 ? 2 * _depth * _inner * Math.Sqrt(1 - si) : 0;
        return (_muC * (outer - medulla)) + (_muM * medulla);
    }
}
