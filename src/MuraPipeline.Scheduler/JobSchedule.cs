using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace MuraPipeline.Scheduler;

/// <summary>
/// Puts the configured cron triggers (the export's, retention's) in the store. A trigger that already has the same
/// expression and time zone is left alone, so its misfire state survives restarts; a changed one replaces it.
/// </summary>
public sealed partial class JobSchedule(ISchedulerFactory factory, IOptions<SchedulerOptions> options, IOptions<RetentionOptions> retention, TimeProvider clock, ILogger<JobSchedule> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var zone = options.Value.ResolveTimeZone();
        var scheduler = await factory.GetScheduler(cancellationToken);
        foreach (var (job, key, cron, what) in new[]
        {
            (ExportJob.Key, ExportJob.TriggerKey, options.Value.Cron, "Retraining export"),
            (RetentionJob.Key, RetentionJob.TriggerKey, retention.Value.Cron, "Retention"),
        })
        {
            var existing = await scheduler.GetTrigger(key, cancellationToken) as ICronTrigger;
            if (existing is null || existing.CronExpressionString != cron || existing.TimeZone.Id != zone.Id)
            {
                var trigger = TriggerBuilder.Create(clock)
                    .WithIdentity(key)
                    .ForJob(job)
                    .WithDescription(what)
                    .WithSchedule(CronScheduleBuilder.Create(cron).InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                    .Build();
                await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, cancellationToken);
            }

            var next = (await scheduler.GetTrigger(key, cancellationToken))?.NextFireTimeUtc;
            LogScheduled(logger, what, cron, zone.Id, next);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "{What} scheduled: cron '{Cron}' in {TimeZone}, next at {Next:o} (UTC)")]
    private static partial void LogScheduled(ILogger logger, string what, string cron, string timeZone, DateTimeOffset? next);
}
