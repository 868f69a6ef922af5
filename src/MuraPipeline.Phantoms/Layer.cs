namespace MuraPipeline.Phantoms;

public enum Layer
{
    /// <summary>Soft tissue: overlapping pieces take the thickest, not the sum.</summary>
    Soft,

    /// <summary>Bone: overlapping bones add.</summary>
    Bone,

    /// <summary>Metal: saturates the detector.</summary>
    Metal,
}
