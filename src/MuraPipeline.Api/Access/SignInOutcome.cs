using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>How a sign-in went: the user, or why not (and, when throttled, how long to wait).</summary>
public sealed record SignInOutcome(ConsoleUser? User, string? Refusal, TimeSpan? RetryAfter);
