namespace MuraPipeline.Data;

/// <summary>Who acts, and from where.</summary>
public sealed record AuditActor(string Name, string Address)
{
    /// <summary>Whoever runs an admin command on this machine.</summary>
    public static AuditActor CommandLine => new($"cli:{Environment.UserName}", "local");

    public AuditEntry Did(string action, string? target, string? detail = null, bool succeeded = true) => new(Name, Address, action, target, detail, succeeded);
}
