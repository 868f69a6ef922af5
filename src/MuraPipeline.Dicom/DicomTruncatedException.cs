namespace MuraPipeline.Dicom;

/// <summary>The data ended before an element it announced.</summary>
public sealed class DicomTruncatedException : Exception
{
    public DicomTruncatedException(string message)
        : base(message)
    {
    }

    public DicomTruncatedException()
    {
    }

    public DicomTruncatedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
