using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace MuraPipeline.ServiceDefaults;

/// <summary>The "Messaging" configuration section: retry policy and queue names, the same in every role.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Delays between attempts of a failing message, in milliseconds, comma separated; then it goes to the <c>_error</c> queue.</summary>
    [Required]
    [RegularExpression(@"^\s*\d+(\s*,\s*\d+)*\s*$", ErrorMessage = "Messaging:RetryIntervalsMs must be a comma-separated list of milliseconds, for example 500,2000,5000")]
    public string RetryIntervalsMs { get; set; } = "500,2000,5000,10000";

    /// <summary>The inference queue.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]+$")]
    public string ScoreQueue { get; set; } = "score-views";

    /// <summary>The queue where faulted view messages are turned into failed views.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]+$")]
    public string FaultQueue { get; set; } = "view-faults";

    public TimeSpan[] RetryIntervals() =>
        RetryIntervalsMs.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(x => TimeSpan.FromMilliseconds(int.Parse(x, CultureInfo.InvariantCulture))).ToArray();
}
