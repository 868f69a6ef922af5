using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>
/// Runs a unit of work in one transaction under the provider's execution strategy: on PostgreSQL a transient failure
/// (a restart, a dropped connection, a deadlock) rolls back and repeats the whole unit. On SQLite the process's writers
/// take turns at <see cref="SqliteWriteGate"/> first (another process still waits on SQLite's own lock). Every store's
/// transitions go through here.
/// </summary>
internal static class StoreTransaction
{
    /// <summary>Runs <paramref name="work"/>; <paramref name="held"/> hears how long the transaction held the database (BEGIN to COMMIT or ROLLBACK).</summary>
    public static Task<T> RunAsync<T>(MuraDbContext db, Func<CancellationToken, Task<T>> work, CancellationToken ct, Action<TimeSpan>? held = null) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(
            async token =>
            {
                db.ChangeTracker.Clear();
                using var turn = await SqliteWriteGate.EnterAsync(db, token);
                var began = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await using var tx = await db.Database.BeginTransactionAsync(token);
                    var result = await work(token);
                    await tx.CommitAsync(token);
                    return result;
                }
                finally
                {
                    held?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(began));
                }
            },
            ct);
}
