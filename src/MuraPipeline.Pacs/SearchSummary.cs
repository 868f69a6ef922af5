namespace MuraPipeline.Pacs;

/// <summary>How a search went: the queries it took and the slices it had to split.</summary>
public sealed record SearchSummary(int Queries, int Splits);
