namespace MuraPipeline.Api.Pages;

public sealed record FailureGroup(string Reason, int Views);
