namespace MuraPipeline.Ingest;

/// <summary>The files an input holds, and how many were left out as OS litter (hidden files, __MACOSX, Thumbs.db…) or as reports and notes.</summary>
public sealed record InputListing(IReadOnlyList<string> Files, int SkippedLitter, int SkippedOther);
