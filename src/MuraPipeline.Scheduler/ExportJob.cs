using Microsoft.Extensions.Logging;
using Quartz;

namespace MuraPipeline.Scheduler;

/// <summary>Quartz's job: one export, recorded in export_runs; a failure is recorded there and retried at the next trigger.</summary>
public sealed partial class ExportJob(Exporter exporter, ILogger<ExportJob> logger) : IJob
{
    public static readonly JobKey Key = new("retraining-export", "mura");
    public static readonly TriggerKey TriggerKey = new("nightly", "mura");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        LogFired(logger, context.ScheduledFireTimeUtc ?? context.FireTimeUtc, context.Scheduler.SchedulerInstanceId);
        await exporter.RunAsync("schedule", null, train: true, cancellationToken, context.Scheduler.SchedulerInstanceId);
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Export trigger for {FireTime:o} fired on scheduler instance {Instance}")]
    private static partial void LogFired(ILogger logger, DateTimeOffset fireTime, string instance);
}
