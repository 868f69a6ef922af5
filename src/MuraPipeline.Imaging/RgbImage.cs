namespace MuraPipeline.Imaging;

/// <summary>An 8-bit RGB image, row-major, R,G,B per pixel.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels);
