namespace MuraPipeline.Phantoms;

/// <summary>A metal plate, nail or screw: a rectangle, threaded screws with a wavy outline.</summary>
public sealed class Metal : Primitive
{
    private readonly Vec _c;
    private readonly double _halfLength, _halfWidth, _cos, _sin;
    private readonly bool _threaded;

    public Metal(Vec centre, double halfLength, double halfWidth, double angle, bool threaded)
    {
        _c = centre;
        _halfLength = halfLength;
        _halfWidth = halfWidth;
        _cos = Math.Cos(angle);
        _sin = Math.Sin(angle);
        _threaded = threaded;
    }

    public override Layer Layer => Layer.Metal;

    public override IEnumerable<Vec> Hull() => Vec.OrientedBox(_c, new Vec(_cos, _sin), _halfLength, _halfWidth);

    public override double Path(Vec q)
    {
        var d = q - _c;
        var u = (d.X * _cos) + (d.Y * _sin);
        var v = (-d.X * _sin) + (d.Y * _cos);
        if (Math.Abs(u) > _halfLength)
        {
            return 0;
        }

        var w = _threaded ? _halfWidth * (0.78 + (0.22 * Math.Abs(Math.Sin(u / _halfWidth * 2.4)))) : _halfWidth;
        return Math.Abs(v) <= w ? 1 : 0;
    }
}
