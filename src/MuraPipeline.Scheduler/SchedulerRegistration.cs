using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using Quartz;

namespace MuraPipeline.Scheduler;

public static class SchedulerRegistration
{
    /// <summary>The exporter and the promotion gate, without Quartz (what `mura export --now` needs).</summary>
    public static IServiceCollection AddExport(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExportOptions>().Bind(configuration.GetSection(ExportOptions.Section)).ValidateDataAnnotations();
        services.AddSingleton<PromotionGate>();
        services.AddSingleton<Exporter>();
        return services;
    }

    /// <summary>
    /// The scheduler role: Quartz with the export job on a cron trigger. On PostgreSQL the job store is persistent and
    /// clustered (tables from our migrations, validated at start), so any number of replicas run one export per
    /// trigger and a trigger missed while every replica was down fires once when the first comes back. Embedded
    /// (SQLite) it is one process with an in-memory store.
    /// </summary>
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        builder.Services.AddExport(builder.Configuration);
        builder.Services.AddOptions<SchedulerOptions>().Bind(builder.Configuration.GetSection(SchedulerOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>();
        builder.Services.AddOptions<ExportOptions>().Validate(o => o.PseudonymKey is { Length: >= 16 }, "Export:PseudonymKey must be set (at least 16 characters) for the scheduler role").ValidateOnStart();
        var target = DatabaseTarget.From(builder.Configuration);
        builder.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "mura-scheduler";
                o.GenerateInstanceId = true;
            });
            if (target.IsPostgres)
            {
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(target.PostgresConnectionString!);
                    store.UseClustering(c => c.Enabled = true);
                    store.UseExecutionHistory();
                    store.ConfigureStore(o =>
                    {
                        o.TablePrefix = "qrtz_";
                        o.SchemaProvisioning = SchemaProvisioning.Validate;
                    });
                });
            }
            else
            {
                q.UseInMemoryStore(_ => { });
            }

            q.AddJob<ExportJob>(j => j.WithIdentity(ExportJob.Key).WithDescription("The retraining export").StoreDurably().DisallowConcurrentExecution());
        });
        builder.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<ExportSchedule>();
        return builder;
    }
}

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

/// <summary>
/// Puts the configured cron trigger in the store. A trigger that already has the same expression and time zone is
/// left alone, so its misfire state survives restarts; a changed one replaces it.
/// </summary>
public sealed partial class ExportSchedule(ISchedulerFactory factory, IOptions<SchedulerOptions> options, TimeProvider clock, ILogger<ExportSchedule> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var zone = o.ResolveTimeZone();
        var scheduler = await factory.GetScheduler(cancellationToken);
        var existing = await scheduler.GetTrigger(ExportJob.TriggerKey, cancellationToken) as ICronTrigger;
        if (existing is null || existing.CronExpressionString != o.Cron || existing.TimeZone.Id != zone.Id)
        {
            var trigger = TriggerBuilder.Create(clock)
                .WithIdentity(ExportJob.TriggerKey)
                .ForJob(ExportJob.Key)
                .WithDescription("Nightly retraining export")
                .WithSchedule(CronScheduleBuilder.Create(o.Cron).InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                .Build();
            await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, cancellationToken);
        }

        var next = (await scheduler.GetTrigger(ExportJob.TriggerKey, cancellationToken))?.NextFireTimeUtc;
        LogScheduled(logger, o.Cron, zone.Id, next);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Retraining export scheduled: cron '{Cron}' in {TimeZone}, next at {Next:o} (UTC)")]
    private static partial void LogScheduled(ILogger logger, string cron, string timeZone, DateTimeOffset? next);
}

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
