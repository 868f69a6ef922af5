using Microsoft.Extensions.Options;
using Quartz;

namespace MuraPipeline.Scheduler;

internal sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
    {
        if (!CronExpression.TryParse(options.Cron, out _))
        {
            return ValidateOptionsResult.Fail($"Scheduler:Cron '{options.Cron}' is not a Quartz cron expression (seconds minutes hours day-of-month month day-of-week, e.g. '0 0 2 * * ?')");
        }

        try
        {
            options.ResolveTimeZone();
        }
        catch (TimeZoneNotFoundException)
        {
            return ValidateOptionsResult.Fail($"Scheduler:TimeZone '{options.TimeZone}' is not a known time zone (use an IANA id such as Europe/Berlin)");
        }

        return ValidateOptionsResult.Success;
    }
}
