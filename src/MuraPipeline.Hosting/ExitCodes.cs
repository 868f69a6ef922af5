namespace MuraPipeline.Hosting;

/// <summary>Process exit codes, documented in README.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The run finished, but some input failed (listed in views.csv with its reason).</summary>
    public const int SomeInputFailed = 3;

    /// <summary>The run could not start: bad arguments, a missing or malformed model, an unusable database.</summary>
    public const int StartFailed = 2;
}
