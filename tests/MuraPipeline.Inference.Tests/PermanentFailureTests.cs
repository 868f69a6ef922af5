using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Imaging;
using MuraPipeline.Tests;

namespace MuraPipeline.Inference.Tests;

/// <summary>The inference role on MassTransit's in-memory bus with a SQLite file: a derivative that can never decode is not retried.</summary>
public sealed class PermanentFailureTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task An_undecodable_derivative_is_consumed_once_and_fails_its_view_while_the_good_view_is_scored()
    {
        using var host = InferenceHost.Build(Path.Combine(_dir, "t.db"), new Dictionary<string, string?>
        {
            ["Messaging:RetryIntervalsMs"] = "200,200,200",
            ["Inference:BatchTimeLimitMs"] = "50",
        });
        await InferenceHost.MigrateAsync(host);

        await host.Services.GetRequiredService<ModelProvider>().InitializeAsync(default);
        var bus = host.Services.GetRequiredService<IBus>();
        var observer = new Observer();
        using var consumed = bus.ConnectConsumeObserver(observer);
        using var published = bus.ConnectPublishObserver(observer);
        await host.StartAsync();
        try
        {
            var messages = new List<ViewQueued>();
            Guid studyId;
            await using (var scope = host.Services.CreateAsyncScope())
            {
                var store = scope.ServiceProvider.GetRequiredService<StudyStore>();
                const string StudyUid = "1.2.826.0.1.3680043.10.543.7";
                studyId = Guid.Empty;
                for (var i = 0; i < 2; i++)
                {
                    var png = Png.Encode(new GrayImage(64, 48, Enumerable.Range(0, 64 * 48).Select(p => (byte)(p % 200)).ToArray()));
                    if (i == 1)
                    {
                        png[png.Length / 2] ^= 0xFF; // a CRC failure: no retry can ever decode it
                    }

                    var sop = $"{StudyUid}.{i}";
                    var view = await store.RegisterAsync(new InstanceFile(StudyUid, "dicom", "WRIST", "P1", sop, null, $"/in/{i}.dcm", $"/in/{i}.dcm"), new Derivative(png, 64, 48, 64, 48), null, default);
                    studyId = view.StudyId;
                    await new StudyQueue(store.Db, TimeProvider.System).MarkViewsQueuedAsync([view.ViewId], default);
                    messages.Add(new ViewQueued(view.ViewId, view.StudyId, StudyUid, sop, "WRIST", png));
                }

            }

            foreach (var m in messages)
            {
                await bus.Publish(m);
            }

            // The study completes (StudyScored) once both views are terminal.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while (!observer.Published.Contains(typeof(StudyScored)))
            {
                Assert.True(DateTime.UtcNow < deadline, "the study did not complete within a minute");
                await observer.Changed.WaitAsync(TimeSpan.FromSeconds(5));
            }

            await using var check = host.Services.CreateAsyncScope();
            var db = check.ServiceProvider.GetRequiredService<MuraDbContext>();
            var views = await db.Views.AsNoTracking().Where(v => v.StudyId == studyId).OrderBy(v => v.SopInstanceUid).ToListAsync();
            Assert.Equal([ViewState.Scored, ViewState.Failed], views.Select(v => v.State));
            Assert.StartsWith("derivative image is unreadable:", views[1].Error, StringComparison.Ordinal);
            Assert.Equal(1, views[1].Attempts);
            Assert.Equal(StudyState.Scored, (await db.Studies.AsNoTracking().SingleAsync(s => s.Id == studyId)).State);

            // Each view message went through the consume pipe exactly once, none faulted, and no fault was published.
            Assert.Equal(2, observer.ViewConsumes);
            Assert.Equal(0, observer.Faults);
            Assert.DoesNotContain(typeof(Fault<ViewQueued>), observer.Published);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed class Observer : IConsumeObserver, IPublishObserver
    {
        private int _viewConsumes;
        private int _faults;

        public SemaphoreSlim Changed { get; } = new(0);

        public System.Collections.Concurrent.ConcurrentBag<Type> Published { get; } = [];

        public int ViewConsumes => Volatile.Read(ref _viewConsumes);

        public int Faults => Volatile.Read(ref _faults);

        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            if (typeof(T) == typeof(ViewQueued))
            {
                Interlocked.Increment(ref _viewConsumes);
            }

            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class
        {
            Interlocked.Increment(ref _faults);
            return Task.CompletedTask;
        }

        public Task PrePublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class
        {
            Published.Add(typeof(T));
            Changed.Release();
            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}
