using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Hosting;

public static class ReplicaHeartbeatRegistration
{
    /// <summary>The heartbeat of a serve process hosting <paramref name="roles"/>.</summary>
    public static IServiceCollection AddReplicaHeartbeat(this IServiceCollection services, string roles) =>
        services.AddHostedService(sp => new ReplicaHeartbeat(sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<ReplicaState>(), roles, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ReplicaHeartbeat>>()));
}
