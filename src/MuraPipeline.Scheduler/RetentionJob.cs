using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using Quartz;

namespace MuraPipeline.Scheduler;

/// <summary>Quartz's job: one retention run, audited; a failure is logged and the next trigger tries again.</summary>
public sealed partial class RetentionJob(Retention retention, ILogger<RetentionJob> logger) : IJob
{
    public static readonly JobKey Key = new("retention", "mura");
    public static readonly TriggerKey TriggerKey = new("retention-nightly", "mura");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        LogFired(logger, context.ScheduledFireTimeUtc ?? context.FireTimeUtc, context.Scheduler.SchedulerInstanceId);
        await retention.RunAsync(dryRun: false, new AuditActor("scheduler", context.Scheduler.SchedulerInstanceId), cancellationToken);
    }

    [LoggerMessage(EventId = 6211, Level = LogLevel.Information, Message = "Retention trigger for {FireTime:o} fired on scheduler instance {Instance}")]
    private static partial void LogFired(ILogger logger, DateTimeOffset fireTime, string instance);
}
