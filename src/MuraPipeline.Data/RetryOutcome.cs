namespace MuraPipeline.Data;

/// <summary>What an operator's retry of a view did.</summary>
public enum RetryOutcome
{
    /// <summary>The view is back in its re-opened study, to be queued by the next assembly pass.</summary>
    Reopened,

    /// <summary>The view is not failed (scored, or already retried): nothing changed.</summary>
    NotFailed,

    /// <summary>The view failed at ingest, before it had a derivative: an ingest replica will read its file again.</summary>
    ReadAgain,

    /// <summary>No such view.</summary>
    Unknown,
}
