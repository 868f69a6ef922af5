using System.Globalization;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;

namespace MuraPipeline.Hosting.Embedded;

/// <summary>
/// The embedded `screen` run: the ingest and inference roles' own stages in one process (in-memory bus, SQLite), driven
/// once instead of by timers. First the reconciler re-sends what an earlier run left queued on its (gone) bus; then
/// every file goes through the file ingest, leaving the user's files untouched, while study assembly queues each study
/// as soon as its last file is in, as inference makes room for them (<see cref="IngestOptions.MaxQueuedViews"/>); the
/// run ends when every study it touched is terminal, as the <see cref="StudyScored"/> events say.
/// </summary>
public static class ScreenRunner
{
    /// <summary>How long the run may go without any study finishing before it gives up.</summary>
    public static readonly TimeSpan StallLimit = TimeSpan.FromMinutes(10);

    public static async Task<ScreenResult> RunAsync(ScreenSettings s, Action<int, int>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(s.OutDir);
        var listing = InputFile.Enumerate(s.Inputs);
        var overrides = new Dictionary<string, string?>();
        if (s.ModelPath is not null)
        {
            overrides["Inference:ModelPath"] = s.ModelPath;
        }

        if (s.BatchSize is { } batch)
        {
            overrides["Inference:BatchSize"] = batch.ToString(CultureInfo.InvariantCulture);
        }

        var completions = new StudyCompletions();
        using var host = ServiceHost.BuildEmbedded(s.DatabaseFile, overrides, s.LogLevel, (bus, services) =>
        {
            services.AddSingleton(completions);
            bus.AddConsumer<StudyCompletionConsumer>();
        });

        // Three things that need nothing of each other go side by side: the model file's session, the schema, and a
        // first look at every file's header (or MURA path), which says which study it belongs to and so how many files
        // each study has (each study is queued as soon as its last file is in). The look only reads; no input is taken
        // before the database has migrated and the model has loaded.
        var models = host.Services.GetRequiredService<ModelProvider>();
        models.BeginLoadingFile();
        var parallelism = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<IngestOptions>>().Value.ResolvedParallelism;
        var studyOf = new string[listing.Files.Count];
        var types = host.Services.GetRequiredService<StudyTypeResolver>();
        Task look = Task.Run(() => Parallel.For(0, listing.Files.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, i => studyOf[i] = InputFile.Inspect(listing.Files[i], types).StudyInstanceUid), ct);
        try
        {
            await ServiceHost.EnsureSchemaAsync(host.Services, ct);
            await models.InitializeAsync(ct);
        }
        catch
        {
            // The look runs out (it only reads headers); the failure reported is this one.
            await look.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await look;

        await host.StartAsync(ct);
        try
        {
            var scopes = host.Services.GetRequiredService<IServiceScopeFactory>();
            var started = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            await using (var scope = scopes.CreateAsyncScope())
            {
                while (await scope.ServiceProvider.GetRequiredService<Reconciler>().ReconcileAsync(started, 500, ct) > 0)
                {
                }
            }

            var clock = host.Services.GetRequiredService<TimeProvider>();
            var filesLeft = studyOf.GroupBy(u => u, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var ready = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

            // Assembly queues studies as inference makes room for them (Ingest:MaxQueuedViews), so the backlog's
            // derivatives are never all on the in-memory bus at once.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sent = new SentCount();
            var assembly = AssembleAsReadyAsync(scopes, ready.Reader, clock, completions, sent, stop.Token);
            IReadOnlyList<IngestedFile> taken;
            try
            {
                taken = await FileIngest.TakeAllAsync(scopes, listing.Files, FileDisposition.LeaveInPlace, parallelism, ct, (i, file) =>
                {
                    bool last;
                    lock (filesLeft)
                    {
                        last = --filesLeft[studyOf[i]] == 0;
                    }

                    if (last)
                    {
                        ready.Writer.TryWrite(file.StudyId);
                    }
                });
            }
            catch
            {
                await stop.CancelAsync();
                throw;
            }
            finally
            {
                ready.Writer.TryComplete();
            }

            var ids = taken.Select(t => t.StudyId).Distinct().ToList();
            var waiting = completions.WaitAsync(scopes, ids, progress, StallLimit, ct);
            try
            {
                if (await Task.WhenAny(assembly, waiting) == assembly)
                {
                    await assembly; // a failed assembly ends the run with its error
                }

                await waiting;
            }
            finally
            {
                await stop.CancelAsync();
            }

            try
            {
                await assembly;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Every study is done: the assembler was stopped in a last pass that would have found nothing.
            }

            await using var read = scopes.CreateAsyncScope();
            var (studies, views) = await ResultRows.ReadAsync(read.ServiceProvider.GetRequiredService<MuraDbContext>(), ids, ct);
            return new ScreenResult(studies, views, models.CurrentSha256!, sent.Views, listing.SkippedLitter, listing.SkippedOther, host.Services.GetRequiredService<RegistrationWriter>().Tally);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Queues each study named on <paramref name="ready"/> (its files are all in), waiting for a study to finish whenever
    /// inference has no room; once every file is in, queues whatever else is still open (a study an earlier run left
    /// open, or one whose files changed under the first look), counting the views it queues in <paramref name="sent"/>.
    /// </summary>
    private static async Task AssembleAsReadyAsync(IServiceScopeFactory scopes, ChannelReader<Guid> ready, TimeProvider clock, StudyCompletions completions, SentCount sent, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var assembler = scope.ServiceProvider.GetRequiredService<StudyAssembler>();
        var pending = new HashSet<Guid>();
        while (true)
        {
            while (ready.TryRead(out var id))
            {
                pending.Add(id);
            }

            if (pending.Count == 0 && await ready.WaitToReadAsync(ct))
            {
                continue;
            }

            // While files come in, the studies named ready (quiet, whenever their last instance came); then a sweep of
            // every open study, quiet since now that every file is in.
            var sweep = pending.Count == 0;
            var pass = sweep
                ? await assembler.AssembleAsync(clock.GetUtcNow(), 500, ct)
                : await assembler.AssembleAsync(clock.GetUtcNow().AddDays(1), 500, ct, pending.ToList());
            sent.Views += pass.Views;
            pending.ExceptWith(pass.QueuedStudies);
            pending.ExceptWith(pass.SetAside);
            foreach (var id in pass.SetAside)
            {
                completions.Ended(id); // out of scope: no score will announce its end
            }
            if (pass.Full)
            {
                await completions.WaitForAnyAsync(StallLimit, ct);
            }
            else if (pass.Studies == 0)
            {
                if (sweep)
                {
                    return;
                }

                pending.Clear(); // none of them is open any more (every view failed at ingest, or an earlier run scored it)
            }
        }
    }

    /// <summary>Views queued by this run's assembly (read once it has ended).</summary>
    private sealed class SentCount
    {
        public int Views { get; set; }
    }
}
