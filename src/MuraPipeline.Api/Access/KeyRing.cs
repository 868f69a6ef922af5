using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.AuthenticatedEncryption.ConfigurationModel;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

/// <summary>The key the key ring is encrypted under.</summary>
public sealed record KeyRingSecret(byte[] Key);

/// <summary>AES-256-GCM over a key's XML: a random 96-bit nonce, the 128-bit tag, then the ciphertext, in one base64 value.</summary>
public sealed class KeyRingEncryptor(KeyRingSecret secret) : IXmlEncryptor
{
    internal static readonly XName Element = "muraEncryptedKey";
    internal static readonly byte[] Associated = "MuraPipeline key ring v1"u8.ToArray();

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plain = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[12 + 16 + plain.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(secret.Key, 16))
        {
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), Associated);
        }

        CryptographicOperations.ZeroMemory(plain);
        return new EncryptedXmlInfo(new XElement(Element, new XAttribute("alg", "AES-256-GCM"), Convert.ToBase64String(sealedBytes)), typeof(KeyRingDecryptor));
    }
}

/// <summary>Opens what <see cref="KeyRingEncryptor"/> sealed; made by Data Protection through its IServiceProvider constructor.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var key = services.GetRequiredService<KeyRingSecret>().Key;
        var sealedBytes = Convert.FromBase64String(encryptedElement.Value);
        if (sealedBytes.Length < 28)
        {
            throw new CryptographicException("the key ring entry is too short to be one this product sealed");
        }

        var plain = new byte[sealedBytes.Length - 28];
        using (var aes = new AesGcm(key, 16))
        {
            aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plain, KeyRingEncryptor.Associated);
        }

        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plain));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }
}

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
