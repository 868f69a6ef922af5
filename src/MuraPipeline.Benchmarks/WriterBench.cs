using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Hosting;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Ingest;

namespace MuraPipeline.Benchmarks;

/// <summary>
/// Ingest's serialised part at saturation: the embedded host's own <see cref="RegistrationWriter"/> on a fresh SQLite
/// file, given a backlog of views with real derivatives (the phantoms' own) all at once, as a machine with many cores
/// feeding it would. The screen run on two cores feeds the writer a few files at a time, so its share a view is mostly
/// each commit's fixed cost; this run shows what the writer holds a view when it is the bottleneck, and so how many
/// views a second one process can register.
/// </summary>
internal static class WriterBench
{
    public static async Task<WriterRun> RunAsync(IReadOnlyList<string> files, int views, string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        using var host = ServiceHost.BuildEmbedded(Path.Combine(dir, "writer.db"), new Dictionary<string, string?>(), LogLevel.Warning, (_, _) => { });
        await ServiceHost.EnsureSchemaAsync(host.Services, ct);
        var types = host.Services.GetRequiredService<StudyTypeResolver>();
        var derivatives = files.Take(12).Select(f => Derivatives.MakeStored(InputFile.Inspect(f, types))).ToList();
        var writer = host.Services.GetRequiredService<RegistrationWriter>();

        // Three views a study, each a new instance: the case a backlog is made of. The first round warms the writer up.
        async Task<WriterTally> Register(string prefix, int count)
        {
            var before = writer.Tally;
            var tasks = new Task<Registration>[count];
            for (var i = 0; i < count; i++)
            {
                var study = string.Create(CultureInfo.InvariantCulture, $"2.25.{prefix}.{i / 3}");
                var sop = string.Create(CultureInfo.InvariantCulture, $"2.25.{prefix}.{i / 3}.{i % 3}");
                var path = Path.Combine(dir, sop + ".dcm");
                var file = new InstanceFile(study, "dicom", "WRIST", "BENCH", sop, "PA", path, path);
                tasks[i] = writer.RegisterAsync(file, derivatives[i % derivatives.Count], null, ct);
            }

            foreach (var r in await Task.WhenAll(tasks))
            {
                if (r.Outcome != RegistrationOutcome.Registered)
                {
                    throw new InvalidOperationException($"the writer bench's view was {r.Outcome}, not registered");
                }
            }

            var after = writer.Tally;
            return new WriterTally(after.Views - before.Views, after.Commits - before.Commits, after.Held - before.Held);
        }

        _ = await Register("1", Math.Min(views, 256));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tally = await Register("2", views);
        var seconds = clock.Elapsed.TotalSeconds;
        return new WriterRun((int)tally.Views, tally.HeldMsPerView, tally.Commits == 0 ? 0 : (double)tally.Views / tally.Commits, tally.Views / seconds);
    }
}
