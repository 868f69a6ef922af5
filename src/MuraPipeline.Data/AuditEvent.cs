namespace MuraPipeline.Data;

/// <summary>One audited action. The application only ever adds these rows.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Who: a user name, <c>key:NAME</c>, <c>cli:ACCOUNT</c>, or the name a failed sign-in gave.</summary>
    public required string Actor { get; set; }

    /// <summary>From where: the client's address, or <c>local</c> for the command line.</summary>
    public required string Address { get; set; }

    /// <summary>What, as a dotted verb: <c>signin</c>, <c>verdict.add</c>, <c>user.add</c>, <c>key.revoke</c>, <c>model.activate</c> …</summary>
    public required string Action { get; set; }

    /// <summary>What it was done to: a user, key, study or model.</summary>
    public string? Target { get; set; }

    public string? Detail { get; set; }

    public bool Succeeded { get; set; }
}
