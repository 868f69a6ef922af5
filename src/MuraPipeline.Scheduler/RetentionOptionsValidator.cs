using Microsoft.Extensions.Options;
using Quartz;

namespace MuraPipeline.Scheduler;

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        if (!CronExpression.TryParse(options.Cron, out _))
        {
            return ValidateOptionsResult.Fail($"Retention:Cron '{options.Cron}' is not a Quartz cron expression (seconds minutes hours day-of-month month day-of-week, e.g. '0 30 3 * * ?')");
        }

        foreach (var (setting, value) in new[] { ("OriginalsAfter", options.OriginalsAfter), ("DerivativesAfter", options.DerivativesAfter), ("ResultObjectsAfter", options.ResultObjectsAfter), ("FailedFilesAfter", options.FailedFilesAfter) })
        {
            if (value < TimeSpan.Zero)
            {
                return ValidateOptionsResult.Fail($"Retention:{setting} is negative ({value}); give a period such as 7.00:00:00, or leave it empty to keep forever");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
