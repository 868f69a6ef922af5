namespace MuraPipeline.Scheduler;

/// <summary>
/// The "Retention" configuration section: how long each kind of data is kept once no later stage needs it, each a
/// .NET TimeSpan ("7.00:00:00" is a week); unset or empty keeps that kind forever (the default).
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Received and pulled files in the archive folder (and its duplicates), counted from the study being scored and, where results are sent, every delivery having succeeded.</summary>
    public TimeSpan? OriginalsAfter { get; set; }

    /// <summary>Derivative images and heatmaps, counted from the study ending; never those of a study whose verdict or label is not yet exported, or whose results are not yet delivered.</summary>
    public TimeSpan? DerivativesAfter { get; set; }

    /// <summary>The bytes of result objects (SR and captures) once every destination acknowledged them, counted from the last acknowledgement; the rows and their UIDs stay.</summary>
    public TimeSpan? ResultObjectsAfter { get; set; }

    /// <summary>Files in the failed folder (with their reasons), counted from their failure.</summary>
    public TimeSpan? FailedFilesAfter { get; set; }

    /// <summary>When the scheduler role applies it (a Quartz cron expression, seconds first, in Scheduler:TimeZone); default every night at 03:30.</summary>
    public string Cron { get; set; } = "0 30 3 * * ?";
}
