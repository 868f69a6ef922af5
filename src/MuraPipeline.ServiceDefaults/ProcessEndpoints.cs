using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MuraPipeline.ServiceDefaults;

/// <summary>
/// What every serve process answers whatever its roles: GET /alive (the process runs) and /health (every readiness
/// check passes) for its orchestrator, and GET /metrics, its Prometheus metrics, for the scraper.
/// </summary>
public static class ProcessEndpoints
{
    /// <summary>The health checks (the host and the roles add theirs to what this returns) and the Metrics section.</summary>
    public static IHealthChecksBuilder AddProcessEndpoints(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        return services.AddHealthChecks();
    }

    /// <summary>
    /// Maps the three. /metrics is readable without credentials only from the addresses in Metrics:AllowFrom (loopback
    /// by default); from anywhere else <paramref name="metricsRefusal"/> decides, from the request's credentials, the
    /// status it is refused with (401, 403), or null to let it through.
    /// </summary>
    public static IEndpointRouteBuilder MapProcessEndpoints(this IEndpointRouteBuilder app, Func<HttpContext, int?> metricsRefusal)
    {
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health").AllowAnonymous();
        MuraMetrics.Register();
        app.MapGet("/metrics", async (HttpContext http, IOptions<MetricsOptions> options) =>
        {
            if (!options.Value.Allows(http.Connection.RemoteIpAddress) && metricsRefusal(http) is { } status)
            {
                http.Response.StatusCode = status;
                return;
            }

            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await MuraMetrics.WriteAsync(http.Response.Body, http.RequestAborted);
        }).AllowAnonymous();
        return app;
    }
}
