namespace MuraPipeline.Data;

/// <summary>A volume's free and total bytes as last measured, and whether it is below the watermark.</summary>
public sealed record VolumeSpace(string Name, string Path, long FreeBytes, long TotalBytes, long MinFreeBytes)
{
    public bool Low => FreeBytes < MinFreeBytes;
}
