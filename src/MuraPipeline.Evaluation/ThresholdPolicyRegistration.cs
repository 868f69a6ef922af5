using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;

namespace MuraPipeline.Evaluation;

public static class ThresholdPolicyRegistration
{
    /// <summary>The threshold policy, with Inference:Thresholds (and the refresh time) bound from <paramref name="configuration"/> and validated at start.</summary>
    public static IServiceCollection AddThresholdPolicy(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        services.AddOptions<ScoringOptions>().Bind(configuration.GetSection(ScoringOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ThresholdPolicy>();
        services.AddSingleton<IThresholdPolicy>(sp => sp.GetRequiredService<ThresholdPolicy>());
        return services;
    }
}
