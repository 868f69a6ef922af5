namespace MuraPipeline.Imaging;

/// <summary>The PNG file was unreadable; the message is written for an operator.</summary>
public sealed class PngException : Exception
{
    public PngException(string message)
        : base(message)
    {
    }

    public PngException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public PngException()
    {
    }
}
