namespace MuraPipeline.Phantoms;

/// <summary>The anatomy of one study in anatomy space, and which bones can carry a finding.</summary>
public sealed class Scene
{
    public List<Primitive> Parts { get; } = [];

    /// <summary>Long bones a finding may be placed on, with the range of T that stays in the field of view.</summary>
    public List<(LongBone Bone, double TMin, double TMax)> Candidates { get; } = [];

    /// <summary>Width over height of the image this anatomy is framed for.</summary>
    public double Aspect { get; init; } = 0.8;

    public LongBone Long(Vec a, Vec b, double ra, double rb, double tMin = -1, double tMax = -1)
    {
        var bone = new LongBone(a, b, ra, rb);
        Parts.Add(bone);
        if (tMin >= 0)
        {
            Candidates.Add((bone, tMin, tMax));
        }

        return bone;
    }

    public void Round(Vec c, double ra, double rb, double angle = 0, double inner = 0.75, double muCortex = 1.0, double muMarrow = 0.4, double depth = -1) =>
        Parts.Add(new RoundBone(c, ra, rb, angle, inner, muCortex, muMarrow, depth));

    public void Soft(Vec a, Vec b, double r) => Parts.Add(SoftTissue.Capsule(a, b, r));

    public void SoftEllipse(Vec c, double ra, double rb, double angle = 0) => Parts.Add(SoftTissue.Ellipse(c, ra, rb, angle));
}
