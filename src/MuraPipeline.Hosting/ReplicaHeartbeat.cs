using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Data;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Hosting;

/// <summary>
/// Every <see cref="ReplicaState.BeatInterval"/>, a serve process writes its row in <c>replicas</c> (roles, model, last batch), so the
/// console shows the replicas seen and their models without a round trip per batch.
/// </summary>
public sealed class ReplicaHeartbeat(IServiceScopeFactory scopes, ReplicaState state, string roles, TimeProvider clock, ILogger<ReplicaHeartbeat> logger) : BackgroundLoop(clock, logger)
{
    protected override TimeSpan Interval => ReplicaState.BeatInterval;

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MuraDbContext>();
        var (model, lastBatch, batches) = state.Read();
        var now = Clock.GetUtcNow();
        var updated = await db.Replicas.Where(r => r.Id == state.Id).ExecuteUpdateAsync(
            set => set.SetProperty(r => r.LastSeenAt, now).SetProperty(r => r.ModelSha256, model).SetProperty(r => r.LastBatchAt, lastBatch).SetProperty(r => r.Batches, batches).SetProperty(r => r.Roles, roles),
            ct);
        if (updated == 0)
        {
            db.Replicas.Add(new Replica { Id = state.Id, Roles = roles, ModelSha256 = model, StartedAt = state.StartedAt, LastSeenAt = now, LastBatchAt = lastBatch, Batches = batches });
            await db.SaveChangesAsync(ct);
        }
    }

}
