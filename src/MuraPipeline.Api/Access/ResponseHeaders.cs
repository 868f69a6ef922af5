using Microsoft.AspNetCore.Http;

namespace MuraPipeline.Api.Access;

/// <summary>
/// The one header policy of every response, whatever route, status or role: pages load scripts, styles and images
/// from this site only and may not be framed; no content type is sniffed; no address leaks in a Referer; and nothing
/// but the shipped stylesheet and script is kept in a cache, so a radiograph, a heatmap or a JSON answer stays off
/// shared disks and out of the back button after sign-out.
/// </summary>
public static class ResponseHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void Apply(HttpContext http)
    {
        var h = http.Response.Headers;
        h.ContentSecurityPolicy = ContentSecurityPolicy;
        h.XFrameOptions = "DENY";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h["Cross-Origin-Opener-Policy"] = "same-origin";
        h["Cross-Origin-Resource-Policy"] = "same-origin";
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        if (http.Request.IsHttps)
        {
            h.StrictTransportSecurity = "max-age=31536000";
        }

        if (http.Request.Path.StartsWithSegments("/assets", StringComparison.Ordinal) && http.Response.StatusCode == StatusCodes.Status200OK)
        {
            h.CacheControl = "no-cache";
        }
        else
        {
            h.CacheControl = "no-store";
            h.Pragma = "no-cache";
        }
    }
}
