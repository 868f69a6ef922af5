using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using MuraPipeline.Api.Access;
using MuraPipeline.Hosting;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.BrowserTests;

/// <summary>
/// A `serve` host as `mura serve --roles …` builds it (embedded: in-memory bus, SQLite), on a loopback port, with a
/// watched folder; and Debian's chromium through Playwright. Each test class owns one folder and its hosts.
/// </summary>
public sealed class ConsoleHost : IAsyncDisposable
{
    public const string Password = "a long enough password";
    private IHost? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ConsoleHost()
    {
        Dir = Peers.TempDir();
        Watch = Directory.CreateDirectory(Path.Combine(Dir, "watch")).FullName;
        Staging = Directory.CreateDirectory(Path.Combine(Dir, "staging")).FullName;
    }

    public string Dir { get; }

    public string Watch { get; }

    public string Staging { get; }

    public string Db => Path.Combine(Dir, "mura.db");

    public Uri Url { get; private set; } = null!;

    public IServiceProvider Services => _host!.Services;

    /// <summary>Starts (or restarts, on the same database and folder) the host with <paramref name="roles"/>.</summary>
    public async Task StartAsync(string roles, IDictionary<string, string?>? settings = null)
    {
        await StopAsync();
        var overrides = new Dictionary<string, string?>
        {
            ["Database:SqliteFile"] = Db,
            ["urls"] = "http://127.0.0.1:0",
            ["Ingest:WatchDir"] = Watch,
            ["Ingest:QuietPeriodSeconds"] = "1",
            ["Ingest:SettleMs"] = "200",
            ["Ingest:ScanIntervalMs"] = "250",
            ["Inference:BatchTimeLimitMs"] = "100",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            overrides[k] = v;
        }

        var set = Roles.Parse(roles);
        var host = ServiceHost.Build(set, overrides);
        try
        {
            await ServiceHost.EnsureSchemaAsync(host.Services, default);
            if (set.Contains(Roles.Inference))
            {
                await host.Services.GetRequiredService<ModelProvider>().InitializeAsync(default);
            }

            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        _host = host;
        Url = new Uri(_host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task StopAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
            _host = null;
        }
    }

    public async Task AddUserAsync(string name, AccessRole role)
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AccessStore>().AddUserAsync(name, role, Password, AuditActor.CommandLine, default);
    }

    /// <summary>Writes phantom studies into the staging folder and returns how many views they have.</summary>
    public int Stage(int studies, ulong seed)
    {
        PhantomWriter.WriteAll(new PhantomGenerator(seed, minSide: 400, maxSide: 640), studies, Staging, PhantomFormat.Dicom);
        return Directory.EnumerateFiles(Staging, "*.dcm", SearchOption.AllDirectories).Count();
    }

    /// <summary>Moves the staged studies into the watched folder, each patient's folder in one rename.</summary>
    public void Drop()
    {
        foreach (var d in Directory.EnumerateDirectories(Staging))
        {
            Directory.Move(d, Path.Combine(Watch, Path.GetFileName(d)));
        }
    }

    public async Task<T> QueryAsync<T>(Func<MuraDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<MuraDbContext>());
    }

    /// <summary>A fresh browser context (its own cookies) at 1366×768, signed in as <paramref name="user"/> through the form.</summary>
    public async Task<IPage> SignInAsync(string user, int width = 1366, int height = 768)
    {
        _playwright ??= await Playwright.CreateAsync();
        _browser ??= await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        });
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Url.ToString().TrimEnd('/'), ViewportSize = new ViewportSize { Width = width, Height = height } });

        // A failure deadline, not a pace: the suite runs its test projects side by side on as few as two cores, where a
        // sign-in (a password hash) and the page after it took longer than Playwright's default 30 s once.
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.FillAsync("input[name=username]", user);
        await page.FillAsync("input[name=password]", Password);
        await page.ClickAsync("form.signin button[type=submit]");
        await page.WaitForURLAsync(u => !u.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    /// <summary>Saves a screenshot of the page as NAME.png in MURA_SCREENSHOTS (README links them), else in this host's folder.</summary>
    public async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("MURA_SCREENSHOTS") is { Length: > 0 } d ? Directory.CreateDirectory(d).FullName : Dir;
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = false });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
