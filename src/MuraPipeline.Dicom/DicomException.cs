namespace MuraPipeline.Dicom;

/// <summary>A file or message that is not valid, or not supported, DICOM. The message is written for an operator.</summary>
public sealed class DicomException : Exception
{
    public DicomException(string message)
        : base(message)
    {
    }

    public DicomException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DicomException()
    {
    }
}
