namespace MuraPipeline.Phantoms;

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
