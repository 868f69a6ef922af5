using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MuraPipeline.Inference;

public static class InferenceRegistration
{
    /// <summary>The inference role: options (validated at start), the model (loaded once), the batch consumer and the fault consumer.</summary>
    public static IHostApplicationBuilder AddInference(this IHostApplicationBuilder builder, IBusRegistrationConfigurator bus)
    {
        builder.Services.AddOptions<InferenceOptions>().Bind(builder.Configuration.GetSection(InferenceOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            return OnnxModel.Load(o.ResolvedModelPath, o.ExecutionProvider, sp.GetRequiredService<ILoggerFactory>().CreateLogger<OnnxModel>());
        });
        bus.AddConsumer<ScoreViewsConsumer, ScoreViewsConsumerDefinition>();
        bus.AddConsumer<ViewFaultConsumer, ViewFaultConsumerDefinition>();
        return builder;
    }
}
