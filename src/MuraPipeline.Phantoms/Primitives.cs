namespace MuraPipeline.Phantoms;

/// <summary>Something that attenuates X-rays; <see cref="Path"/> is its attenuation-weighted path length at a point of anatomy space.</summary>
public abstract class Primitive
{
    public abstract Layer Layer { get; }

    /// <summary>Points whose hull contains every point where <see cref="Path"/> is non-zero.</summary>
    public abstract IEnumerable<Vec> Hull();

    public abstract double Path(Vec q);
}

public enum Layer
{
    /// <summary>Soft tissue: overlapping pieces take the thickest, not the sum.</summary>
    Soft,

    /// <summary>Bone: overlapping bones add.</summary>
    Bone,

    /// <summary>Metal: saturates the detector.</summary>
    Metal,
}

/// <summary>A tubular bone: dense cortex around a lighter medulla, radius tapering from A to B, rounded ends.</summary>
public sealed class LongBone : Primitive
{
    public LongBone(Vec a, Vec b, double radiusA, double radiusB, double inner = 0.6, double muCortex = 1.0, double muMarrow = 0.35)
    {
        A = a;
        B = b;
        RadiusA = radiusA;
        RadiusB = radiusB;
        Inner = inner;
        MuCortex = muCortex;
        MuMarrow = muMarrow;
    }

    public Vec A { get; }

    public Vec B { get; }

    public double RadiusA { get; }

    public double RadiusB { get; }

    public double Inner { get; }

    public double MuCortex { get; }

    public double MuMarrow { get; }

    public Fracture? Fracture { get; set; }

    public LyticLesion? Lesion { get; set; }

    public NutrientCanal? Canal { get; set; }

    public override Layer Layer => Layer.Bone;

    public double Length => (B - A).Length;

    public Vec Axis => (B - A).Unit;

    public Vec AtT(double t) => A + ((B - A) * t);

    public double RadiusAt(double t) => RadiusA + ((RadiusB - RadiusA) * Math.Clamp(t, 0, 1));

    public override IEnumerable<Vec> Hull()
    {
        var r = Math.Max(RadiusA, RadiusB) * (Fracture is null ? 1.05 : 1.0 + Math.Abs(Fracture.Displacement) + 0.4);
        var n = Axis.Perp * r;
        var t = Axis * r;
        return [A - t + n, A - t - n, B + t + n, B + t - n];
    }

    public override double Path(Vec q)
    {
        if (Fracture is { } f)
        {
            var mapped = f.MapToIntact(this, q);
            if (mapped is null)
            {
                return 0;
            }

            q = mapped.Value;
        }

        var ab = B - A;
        var t = Math.Clamp((q - A).Dot(ab) / ab.Dot(ab), 0, 1);
        var r = RadiusAt(t);
        var d2 = (q - (A + (ab * t))).Dot(q - (A + (ab * t)));
        if (d2 >= r * r)
        {
            return 0;
        }

        var ri = r * Inner;
        var outer = 2 * Math.Sqrt((r * r) - d2);
        var medulla = d2 < ri * ri ? 2 * Math.Sqrt((ri * ri) - d2) : 0;
        var cortex = outer - medulla;
        if (Canal is { } c)
        {
            cortex *= c.Factor(this, q);
        }

        var path = (MuCortex * cortex) + (MuMarrow * medulla);
        return Lesion is { } l ? path * l.Factor(this, q) : path;
    }
}

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

/// <summary>A fracture across a long bone: a jagged line, a gap, and a displaced, angulated distal fragment.</summary>
public sealed record Fracture(double T, double Obliquity, double Gap, double Displacement, double Angulation, double Jag, double JagFrequency)
{
    private (Vec F, Vec M, Vec D, double R) Frame(LongBone b)
    {
        var f = b.AtT(T);
        var m = b.Axis.Rotate(Obliquity);
        return (f, m, m.Perp, b.RadiusAt(T));
    }

    private double Side(Vec q, Vec f, Vec m, Vec d, double r)
    {
        var u = (q - f).Dot(d) / r;
        return (q - f).Dot(m) + (Jag * r * (Math.Sin(u * JagFrequency) + (0.5 * Math.Sin((u * JagFrequency * 2.3) + 1))));
    }

    /// <summary>Where a point of the displaced distal fragment was before the injury; null in the gap.</summary>
    public Vec? MapToIntact(LongBone b, Vec q)
    {
        var (f, m, d, r) = Frame(b);
        var g = Gap * r / 2;
        var s = Side(q, f, m, d, r);
        if (s < -g)
        {
            return q;
        }

        if (s <= g)
        {
            return null;
        }

        var back = (q - f - (b.Axis.Perp * (Displacement * r))).Rotate(-Angulation) + f;
        return Side(back, f, m, d, r) > g ? back : null;
    }

    /// <summary>The region a reader would box.</summary>
    public IEnumerable<Vec> Hull(LongBone b)
    {
        var (f, m, d, r) = Frame(b);
        var across = d * (r * 1.25);
        var along = m * ((Gap * r / 2) + (Math.Abs(Displacement) * r * 0.5) + (0.35 * r));
        var shift = b.Axis.Perp * (Displacement * r);
        return [f + across + along, f + across - along, f - across + along, f - across - along, f + shift + across + along, f + shift - across + along];
    }
}

/// <summary>A lytic (bone-destroying) lesion: an ellipse where bone attenuation drops, with an optional sclerotic rim.</summary>
public sealed record LyticLesion(double T, double Offset, double AlongRadius, double AcrossRadius, double Depth, double Rim)
{
    private (Vec C, Vec U, double A, double B) Shape(LongBone b)
    {
        var r = b.RadiusAt(T);
        return (b.AtT(T) + (b.Axis.Perp * (Offset * r)), b.Axis, AlongRadius * r, AcrossRadius * r);
    }

    public double Factor(LongBone b, Vec q)
    {
        var (c, u, a, bb) = Shape(b);
        var d = q - c;
        var x = d.Dot(u) / a;
        var y = d.Dot(u.Perp) / bb;
        var s = (x * x) + (y * y);
        if (s < 1)
        {
            var edge = Math.Clamp((1 - s) * 4, 0, 1);
            return 1 - (Depth * edge);
        }

        return s < 1.35 ? 1 + Rim : 1;
    }

    public IEnumerable<Vec> Hull(LongBone b)
    {
        var (c, u, a, bb) = Shape(b);
        return Vec.OrientedBox(c, u, a * 1.15, bb * 1.15);
    }
}

/// <summary>A normal nutrient canal: a thin oblique lucent line through one cortex (a fracture mimic).</summary>
public sealed record NutrientCanal(double T, double Angle, double Width, int Side)
{
    public double Factor(LongBone b, Vec q)
    {
        var r = b.RadiusAt(T);
        var rel = q - b.AtT(T);
        if (Math.Sign(rel.Dot(b.Axis.Perp)) != Side)
        {
            return 1;
        }

        var dir = b.Axis.Rotate(Angle);
        var dist = Math.Abs(rel.Dot(dir.Perp));
        return dist < Width * r && rel.Length < 1.2 * r ? 0.45 : 1;
    }
}
