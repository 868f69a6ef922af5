namespace MuraPipeline.Imaging;

/// <summary>An 8-bit grayscale image, row-major.</summary>
public sealed record GrayImage(int Width, int Height, byte[] Pixels)
{
    public byte this[int x, int y] => Pixels[(y * Width) + x];
}

/// <summary>An 8-bit RGB image, row-major, R,G,B per pixel.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels);
