using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MuraPipeline.Inference;

public static class InferenceRegistration
{
    /// <summary>The inference role: options (validated at start), the model provider and its registry watcher, the batch consumer and the fault consumer.</summary>
    public static IHostApplicationBuilder AddInference(this IHostApplicationBuilder builder, IBusRegistrationConfigurator bus)
    {
        builder.Services.AddOptions<InferenceOptions>().Bind(builder.Configuration.GetSection(InferenceOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ModelProvider>();
        builder.Services.AddHostedService<ModelWatcher>();
        bus.AddConsumer<ScoreViewsConsumer, ScoreViewsConsumerDefinition>();
        bus.AddConsumer<ViewFaultConsumer, ViewFaultConsumerDefinition>();
        return builder;
    }
}
