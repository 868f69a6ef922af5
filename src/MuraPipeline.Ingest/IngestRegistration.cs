using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MuraPipeline.Ingest;

public static class IngestRegistration
{
    /// <summary>
    /// The ingest role as a service: the watched folder (when Ingest:WatchDir is set), study assembly after the quiet
    /// period, and the reconciler. Options are validated at start: a missing watched folder stops the host with its name.
    /// </summary>
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestOptions>().Bind(builder.Configuration.GetSection(IngestOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<IngestService>();
        builder.Services.AddScoped<FolderIngest>();
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{IngestOptions.Section}:{nameof(IngestOptions.WatchDir)}"]))
        {
            builder.Services.AddHostedService<WatchedFolderWorker>();
        }

        builder.Services.AddHostedService<StudyAssemblerWorker>();
        builder.Services.AddHostedService<ReconcilerWorker>();
        return builder;
    }
}
