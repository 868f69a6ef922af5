namespace MuraPipeline.Phantoms;

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
