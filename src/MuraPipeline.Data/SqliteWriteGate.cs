using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>
/// One turn at a time for this process's write transactions on one SQLite file. SQLite lets one writer in and makes
/// the others poll: its busy handler sleeps 1, 2, 5, 10… ms between tries, so in a process where ingest's writer,
/// assembly and inference's outcomes all write, most of a transaction's time went to sleeping on a lock that had
/// already been let go (measured: 2.2 ms a registration and 10.5 ms a queued-study mark, waiting to begin). Waiting
/// here instead hands the lock over the moment it is free, in arrival order. Other processes on the same file still
/// meet SQLite's own lock and busy timeout. PostgreSQL needs no turn: its row locks let writers overlap.
/// </summary>
public static class SqliteWriteGate
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    /// <summary>Waits for this process's turn to write to <paramref name="db"/>'s SQLite file; nothing to wait for on PostgreSQL.</summary>
    public static async ValueTask<IDisposable?> EnterAsync(MuraDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite())
        {
            return null;
        }

        var gate = Gates.GetOrAdd(db.Database.GetConnectionString() ?? string.Empty, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Turn(gate);
    }

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
