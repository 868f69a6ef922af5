namespace MuraPipeline.Phantoms;

/// <summary>A 2-D point or direction in anatomy space (units of the image's long side, origin at its centre, y down).</summary>
public readonly record struct Vec(double X, double Y)
{
    public static Vec operator +(Vec a, Vec b) => new(a.X + b.X, a.Y + b.Y);

    public static Vec operator -(Vec a, Vec b) => new(a.X - b.X, a.Y - b.Y);

    public static Vec operator *(Vec a, double k) => new(a.X * k, a.Y * k);

    public double Dot(Vec o) => (X * o.X) + (Y * o.Y);

    public double Length => Math.Sqrt((X * X) + (Y * Y));

    public Vec Unit => this * (1.0 / Length);

    /// <summary>Rotated 90° (x, y) → (−y, x).</summary>
    public Vec Perp => new(-Y, X);

    public Vec Rotate(double radians)
    {
        var c = Math.Cos(radians);
        var s = Math.Sin(radians);
        return new Vec((X * c) - (Y * s), (X * s) + (Y * c));
    }

    public static Vec FromAngle(double radians) => new(Math.Cos(radians), Math.Sin(radians));

    /// <summary>The corners of a box centred on <paramref name="c"/>, half-sizes <paramref name="along"/> on unit axis <paramref name="u"/> and <paramref name="across"/> on its perpendicular.</summary>
    public static Vec[] OrientedBox(Vec c, Vec u, double along, double across)
    {
        var a = u * along;
        var b = u.Perp * across;
        return [c + a + b, c + a - b, c - a + b, c - a - b];
    }
}
