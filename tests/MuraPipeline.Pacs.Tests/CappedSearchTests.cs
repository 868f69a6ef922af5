using MuraPipeline.Contracts;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs.Tests;

/// <summary>
/// The split of a capped search, on a scripted PACS (our PDU code, generated answers): every study found exactly once
/// whether the PACS says it stopped (Cancel) or stops silently at the node's MaxResults; a second that holds more
/// studies than the cap fails with the day and the cap named; studies without a date or time are never silently lost.
/// </summary>
public sealed class CappedSearchTests
{
    private static readonly DateOnly First = new(2024, 3, 1);

    private static async Task<(IReadOnlyList<StudyMatch> Matches, SearchSummary Summary)> FindAsync(BacklogPacs pacs, PacsQuery query, int maxResults) =>
        await PacsFinder.FindAsync(new DicomClient("127.0.0.1", pacs.Port, "MURA", "BACKLOG"), query, maxResults, StudyTypeResolver.Default, TimeProvider.System, default);

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 7)]
    public async Task A_capped_backlog_with_no_dates_given_is_found_in_full_each_study_once(bool silent, int maxResults)
    {
        // 9 days of 5 studies and one busy day of 40 (the cap is 7: that day is split by time of day).
        var studies = BacklogPacs.Spread(First, 9, 5).Concat(BacklogPacs.Spread(First.AddDays(20), 1, 40)).ToList();
        await using var pacs = new BacklogPacs(studies, cap: 7, silent);
        var (matches, summary) = await FindAsync(pacs, new PacsQuery(), maxResults);
        Assert.Equal(Enumerable.Range(0, studies.Count).Select(BacklogPacs.Uid).Order(StringComparer.Ordinal), matches.Select(m => m.StudyInstanceUid).Order(StringComparer.Ordinal));
        Assert.True(summary.Splits > 0 && summary.Queries == 2 * summary.Splits + 1, $"{summary}");

        // One association carries every study-level query, one more every series-level one.
        Assert.Equal(2, pacs.Associations);
        Assert.Equal(summary.Queries + studies.Count, pacs.Requests);
    }

    [Fact]
    public async Task A_silent_cap_goes_unnoticed_without_MaxResults_which_is_why_the_setting_exists()
    {
        await using var pacs = new BacklogPacs(BacklogPacs.Spread(First, 4, 5), cap: 7, silent: true);
        var (matches, summary) = await FindAsync(pacs, new PacsQuery(), maxResults: 0);
        Assert.Equal((7, 1), (matches.Count, summary.Queries));
    }

    [Fact]
    public async Task A_date_range_is_split_inside_itself_and_keeps_to_it()
    {
        await using var pacs = new BacklogPacs(BacklogPacs.Spread(First, 30, 3), cap: 10, silent: false);
        var (matches, _) = await FindAsync(pacs, new PacsQuery { From = First.AddDays(5), To = First.AddDays(14) }, 0);
        Assert.Equal(Enumerable.Range(15, 30).Select(BacklogPacs.Uid).Order(StringComparer.Ordinal), matches.Select(m => m.StudyInstanceUid).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_second_holding_more_studies_than_the_cap_fails_the_search_naming_the_day_and_the_cap(bool silent)
    {
        var crowded = First.AddDays(3);
        var studies = BacklogPacs.Spread(First, 6, 2).Concat(Enumerable.Repeat((crowded, 36_000), 6)).ToList();
        await using var pacs = new BacklogPacs(studies, cap: 5, silent);
        var ex = await Assert.ThrowsAsync<IncompleteSearchException>(() => FindAsync(pacs, new PacsQuery(), silent ? 5 : 0));
        Assert.Contains("2024-03-04 10:00:00-10:00:00", ex.Message, StringComparison.Ordinal);
        Assert.Contains("after 5 studies", ex.Message, StringComparison.Ordinal);
        Assert.Equal(5, ex.Cap);
    }

    [Fact]
    public void Halves_cover_exactly_what_they_split()
    {
        var today = new DateOnly(2026, 12, 7);
        var slices = new[]
        {
            new SearchSlice(null, null), new SearchSlice(First, null), new SearchSlice(null, First), new SearchSlice(First, First.AddDays(1)),
            new SearchSlice(First, First.AddDays(9)), new SearchSlice(today, null), new SearchSlice(First, First),
            new SearchSlice(First, First, new TimeOnly(10, 0, 0), new TimeOnly(10, 0, 1)), new SearchSlice(First, First, new TimeOnly(0, 0, 0), new TimeOnly(23, 59, 59)),
        };
        foreach (var slice in slices)
        {
            var (a, b, byTime) = CappedSearch.Split(slice, today)!.Value;
            Assert.Equal(byTime, a.TimeFrom is not null);
            if (byTime)
            {
                Assert.Equal((slice.From, slice.To, slice.TimeFrom ?? new TimeOnly(0, 0), slice.TimeTo ?? new TimeOnly(23, 59, 59)), (a.From, b.To, a.TimeFrom!.Value, b.TimeTo!.Value));
                Assert.Equal(a.TimeTo!.Value.Add(TimeSpan.FromSeconds(1)), b.TimeFrom);
                Assert.True(a.TimeFrom <= a.TimeTo && b.TimeFrom <= b.TimeTo);
            }
            else
            {
                Assert.Equal((slice.From, slice.To), (a.From, b.To));
                Assert.Equal(a.To!.Value.AddDays(1), b.From);
                Assert.True((a.From ?? CappedSearch.Earliest) <= a.To && (b.To is null || b.From <= b.To));
            }
        }

        Assert.Null(CappedSearch.Split(new SearchSlice(First, First, new TimeOnly(10, 0, 0), new TimeOnly(10, 0, 0)), today));
        Assert.Null(CappedSearch.Split(new SearchSlice(null, CappedSearch.Earliest), today));
    }

    [Fact]
    public async Task Capped_studies_without_a_date_fail_the_search_instead_of_being_lost()
    {
        var seen = 0;
        var ex = await Assert.ThrowsAsync<IncompleteSearchException>(() => CappedSearch.RunAsync(new SearchSlice(null, null), new DateOnly(2026, 12, 7),
            (_, _) => Task.FromResult(new SliceAnswer(Capped: ++seen == 1, Matches: 3, Undated: true, Untimed: false)), default));
        Assert.Contains("no Study Date", ex.Message, StringComparison.Ordinal);
    }
}
