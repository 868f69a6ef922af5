namespace MuraPipeline.DicomResults;

/// <summary>Which views get a heatmap Secondary Capture.</summary>
public enum CapturePolicy
{
    Every,
    Abnormal,
    None,
}
