namespace MuraPipeline.Model;

/// <summary>The model file is missing or does not follow the contract; the message names the file and the problem.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ModelLoadException()
    {
    }
}
