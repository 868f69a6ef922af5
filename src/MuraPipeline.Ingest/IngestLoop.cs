using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;
using Polly;
using Polly.Retry;

namespace MuraPipeline.Ingest;

/// <summary>The ingest role's loops: each a <see cref="BackgroundLoop"/> whose passes work in scopes of their own.</summary>
public abstract class IngestLoop(IServiceScopeFactory scopes, TimeProvider clock, ILogger logger) : BackgroundLoop(clock, logger)
{
    protected IServiceScopeFactory Scopes => scopes;
}
