using Microsoft.Extensions.Diagnostics.HealthChecks;
using MuraPipeline.Data;

namespace MuraPipeline.Hosting;

/// <summary>The readiness check every serve process has: the database answers (MassTransit adds its bus check itself).</summary>
internal sealed class DatabaseHealthCheck(MuraDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("the database does not answer");
}
