using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;

namespace MuraPipeline.Api.Access;

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

    /// <summary>
    /// How a /metrics request from outside Metrics:AllowFrom is answered (ProcessEndpoints): 401 without credentials,
    /// 403 with a role below operator; null (served) with an operator's key or session.
    /// </summary>
    public static int? MetricsRefusal(HttpContext http) => http.User.AccessRole() switch
    {
        null => StatusCodes.Status401Unauthorized,
        { } role when !role.Includes(AccessRole.Operator) => StatusCodes.Status403Forbidden,
        _ => null,
    };

    public static IHostApplicationBuilder AddConsoleSecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<AccessStore>();
        services.AddDataProtection().SetApplicationName("MuraPipeline").PersistKeysToDbContext<MuraDbContext>();
        // The process's own database target, as its roles registered it (never resolved a second way).
        var database = services.LastOrDefault(d => d.ServiceType == typeof(DatabaseTarget))?.ImplementationInstance as DatabaseTarget
            ?? throw new InvalidOperationException("the console's security is added after the database (AddMuraData)");
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
        // Every refusal an API client or a scraper gets is an RFC 9457 problem (application/problem+json).
        services.AddProblemDetails();
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
        // A refusal without a body (401 and 403 from authentication, a route that does not exist) says so as a problem
        // to an API client; a browser's page keeps its own answer (the sign-in form, the page naming the role it needs).
        app.UseStatusCodePages(async context =>
        {
            if (IsApi(context.HttpContext.Request))
            {
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = context.HttpContext });
            }
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
