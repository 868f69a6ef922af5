using System.Globalization;
using System.Net.Sockets;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs.Tests;

/// <summary>
/// A PACS with a generated backlog: studies with a date and a time each (one CR series of one instance), answered by
/// Study Root C-FIND with DICOM range matching on Study Date and Study Time, and capped the two ways real PACS cap:
/// ending with Cancel (0xFE00, as Orthanc's LimitFindResults) or, silently, with Success after <see cref="Cap"/>
/// matches. The backlog is held as two sorted arrays, so a hundred thousand studies cost a few megabytes.
/// </summary>
public sealed class BacklogPacs : ScriptedScp
{
    private readonly DateOnly[] _dates;
    private readonly int[] _seconds;

    /// <param name="studies">(date, second of the day) per study, in any order; study i's UID is <see cref="Uid"/>(i) after sorting.</param>
    public BacklogPacs(IEnumerable<(DateOnly Date, int Second)> studies, int cap, bool silent)
    {
        var sorted = studies.OrderBy(s => s.Date).ThenBy(s => s.Second).ToArray();
        _dates = [.. sorted.Select(s => s.Date)];
        _seconds = [.. sorted.Select(s => s.Second)];
        Cap = cap;
        Silent = silent;
        Start();
    }

    public int Cap { get; }

    public bool Silent { get; }

    public int Count => _dates.Length;

    public static string Uid(int i) => $"2.25.{1_000_000_000 + i}";

    /// <summary>Studies a day apart, <paramref name="perDay"/> a day spread evenly over it, from <paramref name="first"/>.</summary>
    public static IEnumerable<(DateOnly, int)> Spread(DateOnly first, int days, int perDay) =>
        Enumerable.Range(0, days * perDay).Select(i => (first.AddDays(i / perDay), (i % perDay) * (86_400 / perDay)));

    protected override async Task HandleAsync(NetworkStream s, AssociationPdu ac, byte context, DimseCommand cmd, byte[]? identifier, CancellationToken ct)
    {
        var q = DicomReader.ReadDataset(identifier!, DicomUids.ImplicitVrLittleEndian);
        if (q.GetString(Tags.QueryRetrieveLevel) == "SERIES")
        {
            var study = q.GetString(DicomTag.StudyInstanceUid)!;
            var series = new DicomDataset();
            series.AddString(DicomTag.StudyInstanceUid, "UI", study);
            series.AddString(DicomTag.SeriesInstanceUid, "UI", study + ".1");
            series.AddString(DicomTag.Modality, "CS", "CR");
            series.AddString(DicomTag.BodyPartExamined, "CS", "WRIST");
            series.AddString(Tags.NumberOfSeriesRelatedInstances, "IS", "1");
            await FindResponseAsync(s, context, cmd, series, DimseCommand.Pending, ct);
            await FindResponseAsync(s, context, cmd, null, DimseCommand.Success, ct);
            return;
        }

        var sent = 0;
        foreach (var i in Matches(q.GetString(DicomTag.StudyDate) ?? string.Empty, q.GetString(DicomTag.StudyTime) ?? string.Empty))
        {
            if (sent == Cap)
            {
                await FindResponseAsync(s, context, cmd, null, Silent ? DimseCommand.Success : (ushort)0xFE00, ct);
                return;
            }

            var match = new DicomDataset();
            match.AddString(DicomTag.StudyInstanceUid, "UI", Uid(i));
            match.AddString(DicomTag.StudyDate, "DA", _dates[i].ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            match.AddString(DicomTag.StudyTime, "TM", TimeOnly.FromTimeSpan(TimeSpan.FromSeconds(_seconds[i])).ToString("HHmmss", CultureInfo.InvariantCulture));
            match.AddString(Tags.ModalitiesInStudy, "CS", "CR");
            match.AddString(Tags.NumberOfStudyRelatedInstances, "IS", "1");
            await FindResponseAsync(s, context, cmd, match, DimseCommand.Pending, ct);
            sent++;
        }

        await FindResponseAsync(s, context, cmd, null, DimseCommand.Success, ct);
    }

    /// <summary>The studies a date range and a time range match, in order: each day's time range, day by day.</summary>
    private IEnumerable<int> Matches(string dates, string times)
    {
        if (_dates.Length == 0)
        {
            yield break;
        }

        var (from, to) = Range(dates, DateOnly.MinValue, DateOnly.MaxValue, v => DateOnly.ParseExact(v, "yyyyMMdd", CultureInfo.InvariantCulture));
        var (t0, t1) = Range(times, 0, 86_399, v => (int)TimeOnly.ParseExact(v, "HHmmss", CultureInfo.InvariantCulture).ToTimeSpan().TotalSeconds);
        from = from < _dates[0] ? _dates[0] : from;
        to = to > _dates[^1] ? _dates[^1] : to;
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            for (var i = LowerBound(day, t0); i < _dates.Length && _dates[i] == day && _seconds[i] <= t1; i++)
            {
                yield return i;
            }
        }
    }

    private static (T From, T To) Range<T>(string value, T min, T max, Func<string, T> parse)
    {
        if (value.Length == 0)
        {
            return (min, max);
        }

        var dash = value.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? (parse(value), parse(value))
            : (dash == 0 ? min : parse(value[..dash]), dash == value.Length - 1 ? max : parse(value[(dash + 1)..]));
    }

    private int LowerBound(DateOnly day, int second)
    {
        int lo = 0, hi = _dates.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_dates[mid] < day || (_dates[mid] == day && _seconds[mid] < second))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
