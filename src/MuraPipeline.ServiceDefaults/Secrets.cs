using System.Text;
using System.Text.RegularExpressions;

namespace MuraPipeline.ServiceDefaults;

/// <summary>
/// The one way a secret is kept out of what people read: the settings page, <c>/api/status</c>, the overview, log
/// lines. It hides the password of every <c>scheme://user:password@host</c> in a text, whatever characters or
/// escapes the password holds; the value of every password, key, secret or token pair of a connection string, quoted
/// values with their <c>;</c> included; and API keys. A setting whose name says it is a secret is hidden whole.
/// </summary>
public static partial class Secrets
{
    public const string Hidden = "(hidden)";

    /// <summary>A setting's value as it may be shown: hidden whole when its name says it is a secret, else masked.</summary>
    public static string Setting(string key, string? value)
    {
        var name = key[(key.LastIndexOf(':') + 1)..];
        return SecretName().IsMatch(name) ? Hidden : Mask(value);
    }

    /// <summary><paramref name="text"/> with every secret it carries replaced by <see cref="Hidden"/>.</summary>
    public static string Mask(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        return ApiKey().Replace(ConnectionPairs(UserInfo(text)), Hidden);
    }

    /// <summary>
    /// The password of every URI authority: from <c>user:</c> after <c>://</c> to the last <c>@</c> before the path,
    /// so a password with spaces, <c>%</c>-escapes, <c>:</c> or an unescaped <c>@</c> is hidden whole.
    /// </summary>
    private static string UserInfo(string text)
    {
        var result = new StringBuilder(text.Length);
        var at = 0;
        while (true)
        {
            var scheme = text.IndexOf("://", at, StringComparison.Ordinal);
            if (scheme < 0)
            {
                break;
            }

            var start = scheme + 3;
            var end = text.IndexOfAny(['/', '?', '#', '\n', '\r'], start);
            end = end < 0 ? text.Length : end;
            var authority = text.AsSpan(start, end - start);
            var lastAt = authority.LastIndexOf('@');
            var colon = lastAt < 0 ? -1 : authority[..lastAt].IndexOf(':');
            result.Append(text, at, start - at);
            if (colon >= 0)
            {
                result.Append(authority[..(colon + 1)]).Append(Hidden).Append(authority[lastAt..]);
            }
            else
            {
                result.Append(authority);
            }

            at = end;
        }

        return result.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>The value of each secret pair of a connection string: quoted (doubled quotes inside) or up to the next <c>;</c>.</summary>
    private static string ConnectionPairs(string text) => SecretPair().Replace(text, m => m.Groups["key"].Value + Hidden);

    [GeneratedRegex("(?i)(password|passwd|pwd|secret|token|key|passphrase|credential)s?$")]
    private static partial Regex SecretName();

    [GeneratedRegex("""(?ix)(?<key>\b(?:password|passwd|pwd|secret|token|api[_ ]?key|access[_ ]?key|passphrase|key)\s*=\s*)(?:"(?:[^"]|"")*"?|'(?:[^']|'')*'?|[^;\r\n]*)""")]
    private static partial Regex SecretPair();

    [GeneratedRegex("mura_[A-Za-z0-9_-]{16,}")]
    private static partial Regex ApiKey();
}
