namespace MuraPipeline.Api.Access;

/// <summary>The key the key ring is encrypted under.</summary>
public sealed record KeyRingSecret(byte[] Key);
