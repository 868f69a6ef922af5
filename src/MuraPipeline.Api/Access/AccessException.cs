namespace MuraPipeline.Api.Access;

/// <summary>A refusal an operator can act on: a name taken, a password too short, a user that does not exist.</summary>
public sealed class AccessException(string message) : Exception(message);
