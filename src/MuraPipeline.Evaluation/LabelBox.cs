namespace MuraPipeline.Evaluation;

/// <summary>A lesion box on one view, in that view's pixel grid (inclusive corners): labels.csv's "VIEW x0 y0 x1 y1".</summary>
public sealed record LabelBox(string View, int X0, int Y0, int X1, int Y1)
{
    /// <summary>Whether a point (continuous pixel coordinates) lies on the box's pixels.</summary>
    public bool Contains(double x, double y) => x >= X0 && x <= X1 + 1 && y >= Y0 && y <= Y1 + 1;
}
