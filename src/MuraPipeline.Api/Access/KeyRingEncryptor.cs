using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace MuraPipeline.Api.Access;

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
