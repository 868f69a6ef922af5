namespace MuraPipeline.Pacs;

/// <summary>A PACS setting that is missing or wrong; the message names the setting.</summary>
public sealed class PacsConfigurationException : Exception
{
    public PacsConfigurationException(string message)
        : base(message)
    {
    }

    public PacsConfigurationException()
    {
    }

    public PacsConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
