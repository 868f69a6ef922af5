namespace MuraPipeline.Phantoms;

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
