using System.Globalization;

namespace MuraPipeline.Phantoms;

/// <summary>A lesion's bounding box in the pixel grid of the view it is in (inclusive corners).</summary>
public sealed record LesionBox(int X0, int Y0, int X1, int Y1)
{
    public LesionBox Scale(double sx, double sy) =>
        new((int)Math.Floor(X0 * sx), (int)Math.Floor(Y0 * sy), (int)Math.Ceiling(X1 * sx), (int)Math.Ceiling(Y1 * sy));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{X0} {Y0} {X1} {Y1}");
}
