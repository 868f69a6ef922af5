namespace MuraPipeline.Evaluation;

/// <summary>Agreement and discrimination statistics (plain code; checked against scikit-learn in tests).</summary>
public static class Metrics
{
    /// <summary>Area under the ROC curve (Mann–Whitney U, ties counted half).</summary>
    public static double Auc(IReadOnlyList<int> labels, IReadOnlyList<double> scores)
    {
        if (labels.Count != scores.Count)
        {
            throw new ArgumentException("labels and scores differ in length");
        }

        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Count];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = ((i + j) / 2.0) + 1;
            }

            i = j + 1;
        }

        double pos = labels.Count(l => l == 1);
        double neg = labels.Count - pos;
        if (pos == 0 || neg == 0)
        {
            return double.NaN;
        }

        var rankSum = Enumerable.Range(0, labels.Count).Where(i => labels[i] == 1).Sum(i => ranks[i]);
        return (rankSum - (pos * (pos + 1) / 2)) / (pos * neg);
    }

    /// <summary>Cohen's kappa of two binary raters; NaN when chance agreement is total (both rate one class only), as scikit-learn gives.</summary>
    public static double CohenKappa(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        if (a.Count != b.Count || a.Count == 0)
        {
            throw new ArgumentException("ratings differ in length or are empty");
        }

        double n = a.Count;
        var agree = Enumerable.Range(0, a.Count).Count(i => a[i] == b[i]) / n;
        var pa = a.Count(x => x == 1) / n;
        var pb = b.Count(x => x == 1) / n;
        var chance = (pa * pb) + ((1 - pa) * (1 - pb));
        return chance >= 1 ? double.NaN : (agree - chance) / (1 - chance);
    }
}
