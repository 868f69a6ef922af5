using System.CommandLine;

namespace MuraPipeline.Cli.Commands;

/// <summary>A container health probe that needs no curl in the image: exit 0 when a serve process's /health answers 200.</summary>
public static class HealthCommand
{
    public static Command Create()
    {
        var url = new Option<Uri>("--url") { Description = "The /health address to probe.", DefaultValueFactory = _ => new Uri("http://127.0.0.1:8080/health") };
        var cmd = new Command("health", "Probe a running `mura serve` process's /health endpoint (exit 0 when healthy).") { url };
        cmd.SetAction(async (parse, ct) =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await http.GetAsync(parse.GetValue(url), ct);
                Console.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                return response.IsSuccessStatusCode ? ExitCodes.Ok : 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Console.Error.WriteLine($"unhealthy: {ex.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
