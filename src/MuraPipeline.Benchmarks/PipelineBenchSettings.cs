namespace MuraPipeline.Benchmarks;

/// <summary>What <c>mura bench pipeline</c> was asked.</summary>
public sealed record PipelineBenchSettings(int Studies, string? ModelPath, bool Peer, string Provider, string? CacheDir, int BatchSize, bool Distributed = false, int Rounds = 1, IReadOnlyList<string>? Syntaxes = null);
