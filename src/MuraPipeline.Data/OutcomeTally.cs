namespace MuraPipeline.Data;

/// <summary>
/// What recording outcomes changed, for a caller's metrics: views newly scored (with the time since each was received)
/// and newly failed. It describes the transaction that committed (a retried one starts it afresh).
/// </summary>
public sealed class OutcomeTally
{
    private readonly List<TimeSpan> _sinceReceipt = [];

    public int Scored => _sinceReceipt.Count;

    public int Failed { get; private set; }

    public IReadOnlyList<TimeSpan> SinceReceipt => _sinceReceipt;

    internal void Clear()
    {
        _sinceReceipt.Clear();
        Failed = 0;
    }

    internal void AddScored(TimeSpan sinceReceipt) => _sinceReceipt.Add(sinceReceipt);

    internal void AddFailed() => Failed++;
}
