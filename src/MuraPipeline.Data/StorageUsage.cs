using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>What the database holds, by kind, in bytes: derivative images, heatmap grids, result objects, and the whole database; and the views they serve.</summary>
public sealed record StorageUsage(long Views, long Derivatives, long Heatmaps, long ResultObjects, long Database)
{
    /// <summary>Sums of the stored bytes (provider-neutral: the length of each value, not its pages) and the database's own size.</summary>
    public static async Task<StorageUsage> ReadAsync(MuraDbContext db, CancellationToken ct)
    {
        var views = await db.Views.LongCountAsync(ct);
        var derivatives = await db.ViewImages.SumAsync(i => (long?)i.Png.Length, ct) ?? 0;
        var heatmaps = await db.Heatmaps.SumAsync(h => (long?)h.Grid.Length, ct) ?? 0;
        var results = await db.StoredResults.SumAsync(r => (long?)r.Content.Length, ct) ?? 0;
        long size;
        if (db.Database.IsNpgsql())
        {
            size = await db.Database.SqlQueryRaw<long>("SELECT pg_database_size(current_database()) AS \"Value\"").SingleAsync(ct);
        }
        else
        {
            var pages = await db.Database.SqlQueryRaw<long>("SELECT page_count AS \"Value\" FROM pragma_page_count()").SingleAsync(ct);
            var pageSize = await db.Database.SqlQueryRaw<long>("SELECT page_size AS \"Value\" FROM pragma_page_size()").SingleAsync(ct);
            size = pages * pageSize;
        }

        return new StorageUsage(views, derivatives, heatmaps, results, size);
    }
}
