namespace MuraPipeline.Pacs;

/// <summary>A search the PACS's cap keeps from being complete; the message names the slice and the cap.</summary>
public sealed class IncompleteSearchException : Exception
{
    public IncompleteSearchException(SearchSlice slice, int cap, string message)
        : base(message)
    {
        Slice = slice;
        Cap = cap;
    }

    public IncompleteSearchException()
    {
    }

    public IncompleteSearchException(string message)
        : base(message)
    {
    }

    public IncompleteSearchException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SearchSlice? Slice { get; }

    public int Cap { get; }
}
