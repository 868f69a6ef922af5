namespace MuraPipeline.Data;

public static class Thresholds
{
    public const double Default = 0.5;
}
