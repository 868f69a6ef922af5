using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MuraPipeline.Api.Access;

namespace MuraPipeline.Api;

/// <summary>At start of the api role: a database with no admin gets a warning that says how to make the first one.</summary>
internal sealed class FirstAdminNotice(IServiceScopeFactory scopes, ILogger<FirstAdminNotice> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            if (!await scope.ServiceProvider.GetRequiredService<AccessStore>().AnyAdminAsync(stoppingToken))
            {
                log.LogWarning("No admin user exists, so nobody can sign in to the console yet. Create the first one with `mura users add NAME --role admin` against this database");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Could not check for an admin user");
        }
    }
}
