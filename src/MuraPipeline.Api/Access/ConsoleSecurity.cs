using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

/// <summary>The console's sign-in settings (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>A session ends after this many minutes without a request.</summary>
    [Range(1, 24 * 60)]
    public int IdleMinutes { get; set; } = 30;

    /// <summary>A session ends this many hours after sign-in, however busy it is.</summary>
    [Range(1, 7 * 24)]
    public int AbsoluteHours { get; set; } = 12;

    /// <summary>Send the session cookie over HTTPS only. Leave it off only where a TLS proxy is not in front (a test on 127.0.0.1).</summary>
    public bool SecureCookies { get; set; }

    /// <summary>
    /// The reverse proxies (addresses or CIDR ranges, comma separated) whose X-Forwarded-For and X-Forwarded-Proto are
    /// believed; from anyone else, and by default from everyone, those headers are ignored.
    /// </summary>
    public string KnownProxies { get; set; } = string.Empty;

    /// <summary>The entries of <see cref="KnownProxies"/>: single addresses and networks; a malformed entry is an error at start.</summary>
    public (List<IPAddress> Proxies, List<System.Net.IPNetwork> Networks) ParseKnownProxies()
    {
        var proxies = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in KnownProxies.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var net))
            {
                networks.Add(net);
            }
            else if (IPAddress.TryParse(entry, out var one))
            {
                proxies.Add(one);
            }
            else
            {
                throw new OptionsValidationException(Section, typeof(ConsoleOptions), [$"Console:KnownProxies: '{entry}' is neither an address nor a CIDR range"]);
            }
        }

        return (proxies, networks);
    }
}

/// <summary>Who may read <c>/metrics</c> without credentials (section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Addresses or CIDR ranges (comma-separated) a scraper may come from without a key; everyone else needs an operator's key or session.</summary>
    public string AllowFrom { get; set; } = "127.0.0.1,::1";

    public bool Allows(IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var entry in AllowFrom.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) ? System.Net.IPNetwork.TryParse(entry, out var net) && net.Contains(address) : IPAddress.TryParse(entry, out var one) && one.Equals(address))
            {
                return true;
            }
        }

        return false;
    }
}

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

/// <summary>
/// Sign-in for every serve process: browser sessions (a cookie, HttpOnly, SameSite=Strict, ending when idle) and API
/// keys (<c>Authorization: Bearer KEY</c>), three roles as authorization policies, and a fallback policy that needs a
/// reader, so a route nobody marked is closed rather than open. The cookie and antiforgery keys live in the database,
/// so every api replica reads the others' cookies.
/// </summary>
public static class ConsoleSecurity
{
    public const string Scheme = "mura";
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string KeyScheme = "ApiKey";
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";

    public static string Policy(AccessRole role) => role.Name();

    public static IHostApplicationBuilder AddConsoleSecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddScoped<AccessStore>();
        services.AddDataProtection().SetApplicationName("MuraPipeline").PersistKeysToDbContext<MuraDbContext>();
        // The process's own database target, as its roles registered it (never resolved a second way).
        var database = services.LastOrDefault(d => d.ServiceType == typeof(DatabaseTarget))?.ImplementationInstance as DatabaseTarget
            ?? throw new InvalidOperationException("the console's security is added after the database (AddMuraDefaults)");
        services.AddKeyRingEncryption(builder.Configuration, database);
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "cookie or API key", o => o.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? KeyScheme : CookieScheme)
            .AddCookie(CookieScheme, _ => { })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(KeyScheme, _ => { });
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<ConsoleOptions>>((o, console) =>
        {
            o.Cookie.Name = "mura.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = console.Value.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromMinutes(console.Value.IdleMinutes);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/denied";
            o.Events = new CookieAuthenticationEvents
            {
                OnRedirectToLogin = ctx => Refuse(ctx, StatusCodes.Status401Unauthorized),
                OnRedirectToAccessDenied = ctx => Refuse(ctx, StatusCodes.Status403Forbidden),
                OnValidatePrincipal = ValidateSessionAsync,
            };
        });
        services.AddAuthorization(o =>
        {
            foreach (var role in AccessRoles.All)
            {
                o.AddPolicy(Policy(role), p => p.RequireAuthenticatedUser().RequireAssertion(ctx => ctx.User.AccessRole() is { } held && held.Includes(role)));
            }

            o.FallbackPolicy = o.GetPolicy(Policy(AccessRole.Reader));
        });
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ConsoleOptions>>((o, console) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = 1;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list is still consulted; its loopback default must go too.
            o.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            var (proxies, networks) = console.Value.ParseKnownProxies();
            proxies.ForEach(o.KnownProxies.Add);
            networks.ForEach(o.KnownIPNetworks.Add);
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "mura.antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.HeaderName = AntiforgeryHeader;
        });
        return builder;
    }

    /// <summary>
    /// Authentication, authorization and antiforgery, in that order. Anything a browser session posts (a form, or JSON
    /// from the console's script) must carry the antiforgery token, as a form field or the <see cref="AntiforgeryHeader"/>
    /// header; API keys are not sent by browsers on their own, so key clients need none.
    /// </summary>
    public static WebApplication UseConsoleSecurity(this WebApplication app)
    {
        // The client's address and scheme from a known proxy only, before anything reads them (sign-in throttling,
        // audit). With no proxy named the middleware stays out: with empty lists it would believe anyone.
        if (!string.IsNullOrWhiteSpace(app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.KnownProxies))
        {
            app.UseForwardedHeaders();
        }
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                ResponseHeaders.Apply(http);
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.Use(async (http, next) =>
        {
            if (http.User.ViaCookie() && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method))
            {
                if (!await AntiforgeryValidAsync(http))
                {
                    await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"a signed-in browser's request that changes something needs its antiforgery token (form field, or the {AntiforgeryHeader} header)").ExecuteAsync(http);
                    return;
                }
            }

            await next(http);
        });
        return app;
    }

    /// <summary>
    /// Whether a browser's request carries its antiforgery token. Where the antiforgery middleware already judged the
    /// request (a form endpoint) its verdict stands, since the form may not be read after a failed check; a form or
    /// header that cannot even be read counts as no token.
    /// </summary>
    private static async Task<bool> AntiforgeryValidAsync(HttpContext http)
    {
        if (http.Features.Get<IAntiforgeryValidationFeature>() is { } judged)
        {
            return judged.IsValid;
        }

        try
        {
            return await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http);
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or BadHttpRequestException or IOException)
        {
            return false;
        }
    }

    /// <summary>An API call (or a scraper) gets the status; a page gets the sign-in form, or a page that says what role it needs.</summary>
    private static Task Refuse(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (IsApi(ctx.Request) || status == StatusCodes.Status403Forbidden)
        {
            ctx.Response.StatusCode = status;
            if (status == StatusCodes.Status403Forbidden && !IsApi(ctx.Request))
            {
                // Declared, never sniffed (the header policy says nosniff).
                ctx.Response.ContentType = "text/html; charset=utf-8";
                return ctx.Response.WriteAsync(ConsolePages.Denied(ctx.HttpContext));
            }

            return Task.CompletedTask;
        }

        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    internal static bool IsApi(HttpRequest request) =>
        request.Path.StartsWithSegments("/api", StringComparison.Ordinal) || request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal)
        || request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A session stands only while its server-side row stands (not signed out, idle or past its absolute end) and its
    /// user exists, is enabled and has the password and role the session began with.
    /// </summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext ctx)
    {
        var name = ctx.Principal?.Identity?.Name;
        var stamp = ctx.Principal?.FindFirstValue(ConsoleClaims.Stamp);
        var sid = ctx.Principal?.FindFirstValue(ConsoleClaims.Session);
        var store = ctx.HttpContext.RequestServices.GetRequiredService<AccessStore>();
        var user = name is null || stamp is null || sid is null ? null : await store.FindSessionUserAsync(name, stamp, ctx.HttpContext.RequestAborted);
        if (user is null || user.Role.Name() != ctx.Principal!.FindFirstValue(ConsoleClaims.Role) || !await store.TouchSessionAsync(sid!, user.Name, ctx.HttpContext.RequestAborted))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieScheme);
        }
    }

    /// <summary>The principal a browser session carries.</summary>
    public static ClaimsPrincipal SessionPrincipal(ConsoleUser user, string session) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, user.Name),
            new Claim(ConsoleClaims.Role, user.Role.Name()),
            new Claim(ConsoleClaims.Stamp, user.SecurityStamp),
            new Claim(ConsoleClaims.Session, session),
            new Claim(ConsoleClaims.Via, "cookie"),
        ],
        CookieScheme,
        ClaimTypes.Name,
        ConsoleClaims.Role));
}

/// <summary><c>Authorization: Bearer KEY</c>: a live key's name (as <c>key:NAME</c>) and role; an unknown or revoked key is 401.</summary>
internal sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var store = Context.RequestServices.GetRequiredService<AccessStore>();
        var key = await store.FindKeyAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (key is null)
        {
            return AuthenticateResult.Fail("unknown or revoked API key");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, $"key:{key.Name}"), new Claim(ConsoleClaims.Role, key.Role.Name()), new Claim(ConsoleClaims.Via, "key")],
            Scheme.Name,
            ClaimTypes.Name,
            ConsoleClaims.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
