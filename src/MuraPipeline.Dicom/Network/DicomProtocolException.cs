namespace MuraPipeline.Dicom.Network;

/// <summary>A protocol violation by the peer: the association is aborted.</summary>
public sealed class DicomProtocolException : Exception
{
    public DicomProtocolException(string message)
        : base(message)
    {
    }

    public DicomProtocolException()
    {
    }

    public DicomProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
