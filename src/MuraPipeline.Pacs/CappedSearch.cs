namespace MuraPipeline.Pacs;

/// <summary>
/// A search that never misses a study on a PACS that caps its answers. The whole range is asked first; an answer
/// the PACS cut short (a Cancel or Out of Resources status, or as many matches as the node's configured maximum,
/// for PACS that truncate silently) is thrown away and its range asked again in two halves, date range halves down
/// to one day, then halves of that day's Study Time down to one second. The slices that were answered in full
/// partition the range, so their matches together are every study, each once. A slice that cannot be narrowed
/// further and is still capped ends the search with an error that names it and the cap: never a silent partial
/// answer. The queries themselves are the caller's (C-FIND today; a QIDO-RS search asks the same slices).
/// </summary>
public static class CappedSearch
{
    /// <summary>An open range starts here when it has to be halved: no radiograph is older.</summary>
    public static readonly DateOnly Earliest = new(1900, 1, 1);

    private static readonly TimeOnly DayStart = new(0, 0, 0);
    private static readonly TimeOnly DayEnd = new(23, 59, 59);

    public static async Task<SearchSummary> RunAsync(SearchSlice whole, DateOnly today, Func<SearchSlice, CancellationToken, Task<SliceAnswer>> ask, CancellationToken ct)
    {
        var pending = new Stack<SearchSlice>();
        pending.Push(whole);
        var queries = 0;
        var splits = 0;
        while (pending.TryPop(out var slice))
        {
            var answer = await ask(slice, ct);
            queries++;
            if (!answer.Capped)
            {
                continue;
            }

            var halves = Split(slice, today);
            if (halves is not var (first, second, byTime))
            {
                throw new IncompleteSearchException(slice, answer.Matches,
                    $"the PACS stopped its answer for {slice} after {answer.Matches} studies and no narrower Study Date or Study Time range is left to ask: query that {(slice.TimeFrom is null ? "range" : "second")} by patient id or accession, or raise the PACS's limit");
            }

            if (!byTime && answer.Undated)
            {
                throw new IncompleteSearchException(slice, answer.Matches,
                    $"the PACS stopped its answer for {slice} after {answer.Matches} studies, and some of its studies have no Study Date, which no narrower date range matches: query those by patient id or accession, or raise the PACS's limit");
            }

            if (byTime && answer.Untimed)
            {
                throw new IncompleteSearchException(slice, answer.Matches,
                    $"the PACS stopped its answer for {slice} after {answer.Matches} studies, and some of that day's studies have no Study Time, which no time range matches: query that day by patient id or accession, or raise the PACS's limit");
            }

            splits++;
            pending.Push(second);
            pending.Push(first);
        }

        return new SearchSummary(queries, splits);
    }

    /// <summary>Two slices that together cover exactly what <paramref name="slice"/> covers, or null when it cannot be narrowed.</summary>
    public static (SearchSlice First, SearchSlice Second, bool ByTime)? Split(SearchSlice slice, DateOnly today)
    {
        if (slice.TimeFrom is { } a && slice.TimeTo is { } b)
        {
            var seconds = (int)((b - a).Ticks / TimeSpan.TicksPerSecond);
            if (seconds < 1)
            {
                return null;
            }

            var mid = a.Add(TimeSpan.FromSeconds(seconds / 2));
            return (slice with { TimeTo = mid }, slice with { TimeFrom = mid.Add(TimeSpan.FromSeconds(1)) }, true);
        }

        if (slice.From is { } day && slice.To == day)
        {
            return (slice with { TimeFrom = DayStart, TimeTo = new TimeOnly(11, 59, 59) }, slice with { TimeFrom = new TimeOnly(12, 0, 0), TimeTo = DayEnd }, true);
        }

        var lo = slice.From ?? Earliest;
        var hi = slice.To ?? (today > lo ? today : lo);
        if (lo < hi)
        {
            var middle = lo.AddDays((hi.DayNumber - lo.DayNumber) / 2);
            return (slice with { To = middle }, slice with { From = middle.AddDays(1) }, false);
        }

        // An open end at the edge: the days before 1900 are not radiographs; the days after today are peeled off one at a time for a year.
        if (slice.To is null && lo <= today.AddYears(1))
        {
            return (slice with { To = lo }, slice with { From = lo.AddDays(1) }, false);
        }

        return null;
    }
}
