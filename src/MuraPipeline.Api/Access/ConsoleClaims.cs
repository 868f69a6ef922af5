using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>The names the console's claims and policies use.</summary>
public static class ConsoleClaims
{
    public const string Role = "mura:role";
    public const string Stamp = "mura:stamp";
    public const string Session = "mura:sid";
    public const string Via = "mura:via";

    /// <summary>The role of a signed-in user or key, or null.</summary>
    public static AccessRole? AccessRole(this ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.FindFirstValue(Role) is { } role ? AccessRoles.Parse(role) : null;

    /// <summary>Who the principal is, for the audit trail: the user's name or <c>key:NAME</c>.</summary>
    public static AuditActor Actor(this HttpContext http) =>
        new(http.User.Identity?.Name ?? "anonymous", http.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>Whether the request is signed in through a browser session (and so must carry an antiforgery token to change anything).</summary>
    public static bool ViaCookie(this ClaimsPrincipal user) => user.FindFirstValue(Via) == "cookie";
}
