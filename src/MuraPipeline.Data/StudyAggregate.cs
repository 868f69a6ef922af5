namespace MuraPipeline.Data;

/// <summary>The MURA paper's study rule, as plain code (the database computes the same with AVG).</summary>
public static class StudyAggregate
{
    /// <summary>The arithmetic mean of the scored views' probabilities; null when no view was scored.</summary>
    public static double? Score(IEnumerable<double> viewProbabilities)
    {
        double sum = 0;
        var n = 0;
        foreach (var p in viewProbabilities)
        {
            if (double.IsNaN(p) || p < 0 || p > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(viewProbabilities), p, "a probability must lie in [0, 1]");
            }

            sum += p;
            n++;
        }

        return n == 0 ? null : sum / n;
    }

    /// <summary>Abnormal when the score reaches the study's threshold (the operating point of <see cref="IThresholdPolicy"/>).</summary>
    public static bool IsAbnormal(double score, double threshold) => score >= threshold;
}
