namespace MuraPipeline.ServiceDefaults;

/// <summary>A setting of the wrong type or out of range; the message names it (<see cref="SettingsSection.Bind{T}"/>).</summary>
public sealed class InvalidSettingException : InvalidOperationException
{
    public InvalidSettingException(string message)
        : base(message)
    {
    }

    public InvalidSettingException()
    {
    }

    public InvalidSettingException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
