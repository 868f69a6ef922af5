using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>
/// At start, removes keys a release before this one stored unencrypted: a copy of an old database must not forge a
/// session. Cookies and forms signed with them stop working once (users sign in again); the next key is encrypted.
/// </summary>
internal sealed class PlaintextKeySweep(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        await db.DataProtectionKeys.Where(k => k.Xml != null && k.Xml.Contains("<masterKey") && !k.Xml.Contains("encryptedSecret")).ExecuteDeleteAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
