using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Ingest;
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
