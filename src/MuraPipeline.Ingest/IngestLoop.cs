using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Ingest;

/// <summary>The ingest role's loops: each a <see cref="BackgroundLoop"/> whose passes work in scopes of their own.</summary>
public abstract class IngestLoop(IServiceScopeFactory scopes, TimeProvider clock, ILogger logger) : BackgroundLoop(clock, logger)
{
    protected IServiceScopeFactory Scopes => scopes;
}
