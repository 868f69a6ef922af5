using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Data;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Ingest;

public static class IngestRegistration
{
    /// <summary>
    /// The ingest role's stages (file ingest, study assembly, reconciler) and, with <paramref name="loops"/>, the role as a service: the watched folder (when Ingest:WatchDir is set), study assembly after the quiet
    /// period, the reconciler, and the DICOM C-STORE receiver when Scp:Port is set. Options are validated at start: a missing watched folder stops the host with its name.
    /// </summary>
    /// <summary>The watched folder, its archive and its failed folder, as volumes whose free space is watched (nothing when Ingest:WatchDir is unset).</summary>
    public static IServiceCollection AddIngestVolumes(this IServiceCollection services, IConfiguration configuration)
    {
        var folders = configuration.GetSection(IngestOptions.Section).Get<IngestOptions>() ?? new IngestOptions();
        return services.AddStorageVolume(configuration, "inbox", folders.WatchDir)
            .AddStorageVolume(configuration, "archive", folders.ResolvedArchiveDir)
            .AddStorageVolume(configuration, "failed", folders.ResolvedFailedDir);
    }

    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder, bool loops = true)
    {
        builder.Services.AddOptions<IngestOptions>().Bind(builder.Configuration.GetSection(IngestOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<ScoreQueue>();
        builder.Services.AddSingleton<RegistrationWriter>();
        builder.Services.AddScoped<FileIngest>();
        builder.Services.AddScoped<StudyAssembler>();
        builder.Services.AddScoped<Reconciler>();
        if (!loops)
        {
            // `screen`: the same stages, driven once by the caller instead of by timers.
            return builder;
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{IngestOptions.Section}:{nameof(IngestOptions.WatchDir)}"]))
        {
            builder.Services.AddSingleton<ReceivedInstances>();
            builder.Services.AddHostedService<WatchedFolderWorker>();
            builder.Services.AddIngestVolumes(builder.Configuration);
        }

        builder.Services.AddOptions<StoreScpOptions>().Bind(builder.Configuration.GetSection(StoreScpOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        if (int.TryParse(builder.Configuration[$"{StoreScpOptions.Section}:{nameof(StoreScpOptions.Port)}"], out var port) && port > 0)
        {
            if (string.IsNullOrWhiteSpace(builder.Configuration[$"{IngestOptions.Section}:{nameof(IngestOptions.WatchDir)}"]))
            {
                throw new InvalidOperationException("the DICOM receiver (Scp:Port) writes into the watched folder: set Ingest:WatchDir (mura serve --watch DIR)");
            }

            builder.Services.AddDicomTls(builder.Configuration);
            builder.Services.AddSingleton<StoreScpWorker>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<StoreScpWorker>());
        }

        builder.Services.AddHostedService<StudyAssemblerWorker>();
        builder.Services.AddHostedService<ReconcilerWorker>();
        return builder;
    }
}
