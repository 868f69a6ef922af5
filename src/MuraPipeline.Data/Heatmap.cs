namespace MuraPipeline.Data;

/// <summary>The raw class activation grid of one view under one model, and its peak.</summary>
public sealed class Heatmap
{
    public Guid ViewId { get; set; }

    public required string ModelSha256 { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    /// <summary>float32 little-endian, row-major.</summary>
    public required byte[] Grid { get; set; }

    public double PeakX { get; set; }

    public double PeakY { get; set; }
}
