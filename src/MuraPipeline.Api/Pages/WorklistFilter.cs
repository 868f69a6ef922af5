namespace MuraPipeline.Api.Pages;

/// <summary>The worklist's filters, as its page's query string carries them.</summary>
public sealed record WorklistFilter(
    string? BodyPart = null,
    string State = "scored",
    bool? Abnormal = null,
    DateOnly? From = null,
    DateOnly? To = null,
    string? Model = null,
    bool? HasVerdict = null,
    bool Mismatch = false,
    string? After = null,
    int Size = 50);
