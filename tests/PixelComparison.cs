namespace MuraPipeline.Tests;

/// <summary>One file compared with pydicom: pydicom's and our outcome ("ok" or why not), and whether dtype, shape and values agree.</summary>
public sealed record PixelComparison(string File, string Pydicom, string Ours, bool Match, string Detail);
