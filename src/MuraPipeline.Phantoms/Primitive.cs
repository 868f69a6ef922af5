namespace MuraPipeline.Phantoms;

/// <summary>Something that attenuates X-rays; <see cref="Path"/> is its attenuation-weighted path length at a point of anatomy space.</summary>
public abstract class Primitive
{
    public abstract Layer Layer { get; }

    /// <summary>Points whose hull contains every point where <see cref="Path"/> is non-zero.</summary>
    public abstract IEnumerable<Vec> Hull();

    public abstract double Path(Vec q);
}
