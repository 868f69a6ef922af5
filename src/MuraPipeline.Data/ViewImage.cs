namespace MuraPipeline.Data;

/// <summary>A view's 8-bit derivative (PNG), kept for the report, heatmaps and the retraining export.</summary>
public sealed class ViewImage
{
    public Guid ViewId { get; set; }

    public required byte[] Png { get; set; }
}
