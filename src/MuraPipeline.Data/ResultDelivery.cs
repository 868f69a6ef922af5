namespace MuraPipeline.Data;

public sealed class ResultDelivery
{
    public Guid Id { get; set; }

    public Guid ResultId { get; set; }

    public StoredResult? Result { get; set; }

    /// <summary>The destination's name under Results:Destinations.</summary>
    public required string Destination { get; set; }

    public DeliveryState State { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Why the last attempt failed, for an operator.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    /// <summary>The sender working on it now; another may take it once the lease lapses.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }
}
