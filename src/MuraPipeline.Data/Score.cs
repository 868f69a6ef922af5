namespace MuraPipeline.Data;

/// <summary>One model's score of one view: written once, in the transaction that moves the view to Scored.</summary>
public sealed class Score
{
    public Guid Id { get; set; }

    public Guid ViewId { get; set; }

    public required string ModelSha256 { get; set; }

    public double Probability { get; set; }

    public string? PredictedBodyPart { get; set; }

    /// <summary>The model call that made the score: every score of one batch shares it, and one batch has one model.</summary>
    public Guid? BatchId { get; set; }

    public DateTimeOffset ScoredAt { get; set; }
}
