namespace MuraPipeline.Imaging;

/// <summary>Which picture of a view <see cref="Heatmap.RenderPng"/> makes.</summary>
public enum HeatmapLayer
{
    /// <summary>The CAM blended over the derivative.</summary>
    Blend,

    /// <summary>The derivative alone.</summary>
    Image,

    /// <summary>The colour-mapped CAM alone.</summary>
    Colour,
}
