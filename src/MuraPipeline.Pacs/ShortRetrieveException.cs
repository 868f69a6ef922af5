namespace MuraPipeline.Pacs;

/// <summary>A retrieve the PACS called successful that brought fewer instances than its query listed.</summary>
public sealed class ShortRetrieveException : Exception
{
    public ShortRetrieveException(string message, int expected, int arrived)
        : base(message)
    {
        Expected = expected;
        Arrived = arrived;
    }

    public ShortRetrieveException()
    {
    }

    public ShortRetrieveException(string message)
        : base(message)
    {
    }

    public ShortRetrieveException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public int Expected { get; }

    public int Arrived { get; }
}
