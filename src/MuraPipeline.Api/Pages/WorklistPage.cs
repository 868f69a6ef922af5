namespace MuraPipeline.Api.Pages;

/// <summary>A page of the worklist and the cursor of the next one (null on the last).</summary>
public sealed record WorklistPage(IReadOnlyList<WorklistRow> Rows, string? Next);
