namespace MuraPipeline.Pacs;

/// <summary>A retrieve that cannot succeed by trying again (a refused move destination).</summary>
public sealed class PermanentPullException : Exception
{
    public PermanentPullException(string message)
        : base(message)
    {
    }

    public PermanentPullException()
    {
    }

    public PermanentPullException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
