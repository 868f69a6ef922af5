namespace MuraPipeline.Dicom.Codecs;

/// <summary>One decoded JPEG 2000 or HTJ2K image: its size at the resolution decoded, and each sample as an int, interleaved.</summary>
public sealed record J2kImage(int Width, int Height, int Components, int Precision, bool Signed, int Reduction, int[] Samples);
