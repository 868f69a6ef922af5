using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace MuraPipeline.Data;

/// <summary>The model versions in the database, keyed by SHA-256: which exist, which one is active, and their calibrated thresholds.</summary>
public sealed class ModelRegistry(MuraDbContext db, TimeProvider clock)
{
    /// <summary>The active model's identity and thresholds, as inference polls it.</summary>
    public sealed record ActiveModel(string Sha256, string Name, string? Thresholds);

    /// <summary>Registers a model (once: the same bytes again change nothing and return false).</summary>
    public async Task<bool> AddAsync(string sha256, string name, string path, string contract, string? metadataJson, byte[] content, CancellationToken ct)
    {
        if (await db.ModelVersions.AnyAsync(m => m.Sha256 == sha256, ct))
        {
            return false;
        }

        db.ModelVersions.Add(new ModelVersion { Sha256 = sha256, Name = name, Path = path, Contract = contract, Metadata = metadataJson, AddedAt = clock.GetUtcNow() });
        db.ModelFiles.Add(new ModelFile { Sha256 = sha256, Content = content });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Registered at the same moment by another process (the same bytes): nothing to do.
            db.ChangeTracker.Clear();
            if (!await db.ModelVersions.AnyAsync(m => m.Sha256 == sha256, ct))
            {
                throw;
            }

            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }

        return true;
    }

    public Task<List<ModelVersion>> ListAsync(CancellationToken ct) =>
        db.ModelVersions.AsNoTracking().OrderBy(m => m.AddedAt).ToListAsync(ct);

    /// <summary>The model a full SHA-256 or a unique prefix of it (at least 6 characters) names.</summary>
    public async Task<ModelVersion> ResolveAsync(string shaOrPrefix, CancellationToken ct)
    {
        var key = shaOrPrefix.Trim().ToLowerInvariant();
        if (key.Length < 6 || !key.All(Uri.IsHexDigit))
        {
            throw new InvalidDataException($"'{shaOrPrefix}' is not a model version: give its SHA-256 or at least its first 6 hex digits");
        }

        var matches = await db.ModelVersions.AsNoTracking().Where(m => m.Sha256.StartsWith(key)).Take(2).ToListAsync(ct);
        return matches.Count switch
        {
            0 => throw new InvalidDataException($"no registered model version starts with {key} (see `mura models list`)"),
            > 1 => throw new InvalidDataException($"{key} names more than one model version; give more digits"),
            _ => matches[0],
        };
    }

    /// <summary>Makes one model the active one, in one transaction with its audit record: afterwards exactly that row is active.</summary>
    public Task ActivateAsync(string sha256, AuditActor by, CancellationToken ct) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(token);
            if (await db.ModelVersions.Where(m => m.Sha256 == sha256).ExecuteUpdateAsync(set => set.SetProperty(m => m.Active, true).SetProperty(m => m.ActivatedAt, clock.GetUtcNow()), token) != 1)
            {
                throw new InvalidDataException($"model version {sha256} is not registered");
            }

            await db.ModelVersions.Where(m => m.Sha256 != sha256 && m.Active).ExecuteUpdateAsync(set => set.SetProperty(m => m.Active, false), token);
            new AuditLog(db, clock).Stage(by.Did("model.activate", sha256));
            await db.SaveChangesAsync(token);
            await tx.CommitAsync(token);
        }, ct);

    public Task<ActiveModel?> GetActiveAsync(CancellationToken ct) =>
        db.ModelVersions.AsNoTracking().Where(m => m.Active).OrderByDescending(m => m.ActivatedAt)
            .Select(m => new ActiveModel(m.Sha256, m.Name, m.Thresholds)).FirstOrDefaultAsync(ct);

    public Task<byte[]?> ContentAsync(string sha256, CancellationToken ct) =>
        db.ModelFiles.AsNoTracking().Where(f => f.Sha256 == sha256).Select(f => f.Content).SingleOrDefaultAsync(ct);

    /// <summary>A model version's calibrated thresholds as stored (JSON), null when it has none or is not registered.</summary>
    public Task<string?> ThresholdsAsync(string sha256, CancellationToken ct) =>
        db.ModelVersions.AsNoTracking().Where(m => m.Sha256 == sha256).Select(m => m.Thresholds).FirstOrDefaultAsync(ct);

    /// <summary>Stores calibrated per-body-part thresholds with a model version (replacing earlier ones).</summary>
    public async Task SetThresholdsAsync(string sha256, IReadOnlyDictionary<string, double> thresholds, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(new SortedDictionary<string, double>(thresholds.ToDictionary(kv => kv.Key.ToUpperInvariant(), kv => kv.Value), StringComparer.Ordinal));
        if (await db.ModelVersions.Where(m => m.Sha256 == sha256).ExecuteUpdateAsync(set => set.SetProperty(m => m.Thresholds, json), ct) != 1)
        {
            throw new InvalidDataException($"model version {sha256} is not registered");
        }
    }

    /// <summary>Reads a thresholds column; an unreadable one is treated as absent rather than failing a score.</summary>
    public static Dictionary<string, double> ParseThresholds(string? json)
    {
        var result = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(json))
        {
            return result;
        }

        try
        {
            foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, double>>(json) ?? [])
            {
                if (v is >= 0 and <= 1)
                {
                    result[k] = v;
                }
            }
        }
        catch (JsonException)
        {
            return result;
        }

        return result;
    }

    public static string FormatThresholds(string? json) =>
        ParseThresholds(json) is { Count: > 0 } t ? string.Join(" ", t.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:0.###}"))) : "-";
}
