namespace MuraPipeline.Data;

/// <summary>What to write in the audit trail.</summary>
public sealed record AuditEntry(string Actor, string Address, string Action, string? Target, string? Detail, bool Succeeded = true);
