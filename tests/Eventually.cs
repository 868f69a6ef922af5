using System.Diagnostics;

namespace MuraPipeline.Tests;

/// <summary>
/// The one way a test waits for something another thread or process does: it polls a condition until it holds, and
/// fails with what it waited for (and whatever <c>describe</c> adds) once the limit passes. The limit is a failure
/// deadline, never a pace: a test that passes waits only as long as the condition takes.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds; fails after <paramref name="limit"/> naming <paramref name="what"/> (and what <paramref name="describe"/> says).</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan limit, string what, Func<string>? describe = null) =>
        UntilAsync(() => Task.FromResult(condition()), limit, what, describe is null ? null : () => Task.FromResult(describe()));

    /// <summary>
    /// Waits until <paramref name="condition"/> holds. An exception <paramref name="tolerate"/> accepts counts as "not
    /// yet" (a database restarting under the test); after <paramref name="limit"/> the test fails naming
    /// <paramref name="what"/>, followed by <paramref name="describe"/>'s account of where things stand.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what, Func<Task<string>>? describe = null, Func<Exception, bool>? tolerate = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (tolerate is not null && tolerate(ex) && watch.Elapsed < limit)
            {
                // not yet: tried again below
            }

            if (watch.Elapsed > limit)
            {
                var detail = describe is null ? string.Empty : "\n" + await describe();
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for {what}{detail}");
            }

            await Task.Delay(Pause);
        }
    }
}
