namespace MuraPipeline.Dicom;

/// <summary>One frame of stored pixel values, samples interleaved (RGB as R,G,B per pixel).</summary>
public sealed record StoredFrame(int Width, int Height, int SamplesPerPixel, int[] Values);
