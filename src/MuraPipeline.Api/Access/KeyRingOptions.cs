using Microsoft.Extensions.Configuration;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Api.Access;

/// <summary>The "DataProtection" configuration section: the key that signs the console's cookies and antiforgery tokens.</summary>
public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";

    /// <summary>The key file (a base64 secret of at least 32 bytes, mode 0600), the same file for every replica. Default: mura.keyring.key beside the embedded database, made when missing; required in the distributed mode.</summary>
    public string? KeyFile { get; set; }

    public static KeyRingOptions From(IConfiguration configuration) => SettingsSection.Bind<KeyRingOptions>(configuration, Section);
}
