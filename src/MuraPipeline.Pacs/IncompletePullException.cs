namespace MuraPipeline.Pacs;

/// <summary>A retrieve the PACS ended with failed sub-operations.</summary>
public sealed class IncompletePullException : Exception
{
    public IncompletePullException(string message, int failedInstances)
        : base(message)
    {
        FailedInstances = failedInstances;
    }

    public IncompletePullException()
    {
    }

    public IncompletePullException(string message)
        : base(message)
    {
    }

    public IncompletePullException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public int FailedInstances { get; }
}
