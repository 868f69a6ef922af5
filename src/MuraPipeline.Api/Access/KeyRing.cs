using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>
/// The cookie and antiforgery key ring lives in the database (every api replica reads it), encrypted there with
/// AES-256-GCM under a key of <c>DataProtection:KeyFile</c>, so a copy of the database alone forges no session. The
/// embedded mode makes that file itself beside its SQLite file (0600) on first start; a process with a shared
/// database or a broker refuses to start without one, since every replica must hold the same key.
/// </summary>
public static class KeyRing
{
    public const string Setting = KeyRingOptions.Section + ":" + nameof(KeyRingOptions.KeyFile);

    /// <summary>The key file's name beside the embedded database.</summary>
    public const string EmbeddedFileName = "mura.keyring.key";

    /// <summary>Where this process's key file is: the setting, else (embedded only) beside the SQLite file; null when it must be set and is not.</summary>
    public static string? Resolve(IConfiguration configuration, DatabaseTarget database)
    {
        if (KeyRingOptions.From(configuration).KeyFile is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        var shared = database.IsPostgres || MuraPipeline.ServiceDefaults.ServiceComposition.IsDistributed(configuration);
        return shared ? null : Path.Combine(Path.GetDirectoryName(database.SqliteFile)!, EmbeddedFileName);
    }

    /// <summary>
    /// The 256-bit key derived from the file's secret (base64, at least 32 bytes). The embedded file is made when
    /// missing; a configured one must exist, so replicas cannot each make their own.
    /// </summary>
    public static byte[] Load(string path, bool create)
    {
        if (!File.Exists(path))
        {
            if (!create)
            {
                throw new InvalidOperationException($"{Setting} names {path}, which does not exist. Make it once and give every replica the same file: head -c 32 /dev/urandom | base64 > {path}; chmod 600 {path}");
            }

            using (var stream = PrivateFiles.Create(path, FileMode.CreateNew))
            using (var writer = new StreamWriter(stream, Encoding.ASCII))
            {
                writer.WriteLine(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            }
        }

        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{Setting} {path} does not hold base64 text (make one with: head -c 32 /dev/urandom | base64)");
        }

        if (secret.Length < 32)
        {
            throw new InvalidOperationException($"{Setting} {path} holds {secret.Length} bytes; it needs at least 32 random bytes, base64");
        }

        return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "MuraPipeline key ring v1"u8.ToArray());
    }

    /// <summary>Registers the encryptor (and the secret its decryptor reads), and the start-up sweep of unencrypted keys.</summary>
    public static void AddKeyRingEncryption(this IServiceCollection services, IConfiguration configuration, DatabaseTarget database)
    {
        var path = Resolve(configuration, database)
            ?? throw new InvalidOperationException($"{Setting} must be set when the database is shared (PostgreSQL) or a broker is named: the console's key ring is encrypted with it and every replica needs the same file. Make one: head -c 32 /dev/urandom | base64 > /etc/mura/keyring.key; chmod 600 /etc/mura/keyring.key");
        var secret = new KeyRingSecret(Load(path, create: KeyRingOptions.From(configuration).KeyFile is not { Length: > 0 }));
        services.AddSingleton(secret);
        services.Configure<KeyManagementOptions>(o => o.XmlEncryptor = new KeyRingEncryptor(secret));
        services.AddHostedService<PlaintextKeySweep>();
    }
}
