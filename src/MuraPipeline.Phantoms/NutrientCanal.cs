namespace MuraPipeline.Phantoms;

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
