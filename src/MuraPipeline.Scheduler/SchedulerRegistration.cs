using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Ingest;
using MuraPipeline.ServiceDefaults;
using Quartz;

namespace MuraPipeline.Scheduler;

public static class SchedulerRegistration
{
    /// <summary>The exporter and the promotion gate, without Quartz (what `mura export --now` needs).</summary>
    public static IServiceCollection AddExport(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExportOptions>().Bind(configuration.GetSection(ExportOptions.Section)).ValidateDataAnnotations();
        services.AddStorageVolume(configuration, "exports", configuration.GetSection(ExportOptions.Section).Get<ExportOptions>()?.Folder ?? new ExportOptions().Folder);
        services.AddSingleton<PromotionGate>();
        services.AddSingleton<Exporter>();
        return services;
    }

    /// <summary>Retention, without Quartz (what `mura retention run` needs): its settings, and the ingest and results settings that say where files are and where results go.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddOptions<IngestOptions>().Bind(configuration.GetSection(IngestOptions.Section));
        services.AddOptions<ResultOptions>().Bind(configuration.GetSection(ResultOptions.Section));
        services.AddSingleton<Retention>();
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }

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
        builder.Services.AddRetention(builder.Configuration);
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
            q.AddJob<RetentionJob>(j => j.WithIdentity(RetentionJob.Key).WithDescription("Retention").StoreDurably().DisallowConcurrentExecution());
        });
        builder.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.AddHostedService<JobSchedule>();
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
