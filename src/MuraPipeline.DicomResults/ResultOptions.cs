namespace MuraPipeline.DicomResults;

/// <summary>The "Results" settings: what the objects look like, where they go and when.</summary>
public sealed class ResultOptions
{
    public const string Section = "Results";

    /// <summary>Where each scored study's SR and heatmap captures are sent (C-STORE), each destination under a name of the operator's choosing. None: results are made and kept, not sent.</summary>
    public Dictionary<string, ResultDestination> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>"scored": results are made as soon as a study is scored; "verdict": only once a reader has recorded a verdict.</summary>
    public string SendOn { get; set; } = "scored";

    /// <summary>Our calling AE title towards the destinations.</summary>
    public string AeTitle { get; set; } = "MURA";

    /// <summary>How often the results role looks for new scored studies and for deliveries that are due.</summary>
    [System.ComponentModel.DataAnnotations.Range(50, 600_000)]
    public int ScanIntervalMs { get; set; } = 2000;

    /// <summary>The wait after a failed send, doubled per attempt up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public double RetryDelaySeconds { get; set; } = 10;

    /// <summary>The longest wait between two attempts to send one study's results.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 86_400)]
    public double MaxRetryDelaySeconds { get; set; } = 3600;

    /// <summary>Attempts per object and destination before it is left Failed (an operator can resend it).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10_000)]
    public int MaxAttempts { get; set; } = 50;

    /// <summary>How long a destination may stay silent inside an association.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>The UID root our new UIDs go under (an organisation's registered root); empty: the 2.25 UUID-derived form.</summary>
    public string UidRoot { get; set; } = string.Empty;

    /// <summary>Secondary Captures for every scored view, only views at or above the threshold, or none.</summary>
    public CapturePolicy Captures { get; set; } = CapturePolicy.Every;

    /// <summary>The long side of a Secondary Capture, in pixels.</summary>
    public int CaptureSize { get; set; } = 1024;

    /// <summary>The institution named as contributing equipment.</summary>
    public string InstitutionName { get; set; } = string.Empty;
}
