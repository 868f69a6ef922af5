namespace MuraPipeline.Imaging;

/// <summary>An 8-bit grayscale image, row-major.</summary>
public sealed record GrayImage(int Width, int Height, byte[] Pixels)
{
    public byte this[int x, int y] => Pixels[(y * Width) + x];
}
