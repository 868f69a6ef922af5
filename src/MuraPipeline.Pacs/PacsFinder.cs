using System.Globalization;
using MuraPipeline.Contracts;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs;

/// <summary>
/// Study Root C-FIND against a PACS: studies at study level (date range, accession, patient id, modalities in study),
/// asked slice by slice so that a PACS that caps its answers still gives every study (<see cref="CappedSearch"/>),
/// then, where wanted, each match's series at series level (modality and body part are series attributes; many PACS
/// do not match Modalities in Study at all). The series answers filter the studies on modality and body part, and say
/// what a pull takes and what it leaves. Study and series queries each use one association for the whole search.
/// </summary>
public static class PacsFinder
{
    /// <summary>Matches handed on at a time, and held at most while a slice's answer is still coming.</summary>
    public const int Chunk = 500;

    /// <summary>Every match, in date order, with its series, and how the search went.</summary>
    public static async Task<(IReadOnlyList<StudyMatch> Matches, SearchSummary Summary)> FindAsync(DicomClient client, PacsQuery query, int maxResults, StudyTypeResolver types, TimeProvider clock, CancellationToken ct)
    {
        var matches = new Dictionary<string, StudyMatch>(StringComparer.Ordinal);
        var summary = await SearchAsync(client, query, maxResults, withSeries: true, types, (chunk, _) =>
        {
            foreach (var m in chunk)
            {
                matches.TryAdd(m.StudyInstanceUid, m);
            }

            return Task.CompletedTask;
        }, clock, ct);
        return ([.. matches.Values.OrderBy(m => m.StudyDate, StringComparer.Ordinal).ThenBy(m => m.StudyInstanceUid, StringComparer.Ordinal)], summary);
    }

    /// <summary>
    /// Streams every study that matches <paramref name="query"/> to <paramref name="sink"/>, <see cref="Chunk"/> at a
    /// time, so a backlog of any size is held in bounded memory. A study may reach the sink twice (a slice whose answer
    /// grew past a chunk before the PACS said it was capped is asked again in halves): the sink keeps each study once.
    /// With <paramref name="withSeries"/> false the series are looked up only when the query filters on modality or
    /// body part (a pull looks them up again when it retrieves the study).
    /// </summary>
    public static async Task<SearchSummary> SearchAsync(DicomClient client, PacsQuery query, int maxResults, bool withSeries, StudyTypeResolver types, Func<IReadOnlyList<StudyMatch>, CancellationToken, Task> sink, TimeProvider clock, CancellationToken ct)
    {
        var needSeries = withSeries || query.Modalities.Count > 0 || query.BodyPart is not null;
        await using var studies = await client.OpenFindAsync(ct);
        FindAssociation? series = null;
        try
        {
            var held = new List<DicomDataset>();
            var undated = false;
            var untimed = false;

            async Task HandOnAsync()
            {
                var chunk = new List<StudyMatch>(held.Count);
                foreach (var study in held)
                {
                    var uid = study.GetString(DicomTag.StudyInstanceUid)!;
                    IReadOnlyList<SeriesMatch> found = [];
                    if (needSeries)
                    {
                        series ??= await client.OpenFindAsync(ct);
                        found = await FindSeriesAsync(series, uid, types, ct);
                    }

                    var match = Describe(study, uid, found);
                    if (Keeps(query, match))
                    {
                        chunk.Add(match);
                    }
                }

                held.Clear();
                if (chunk.Count > 0)
                {
                    await sink(chunk, ct);
                }
            }

            async ValueTask OnMatchAsync(DicomDataset study)
            {
                var uid = study.GetString(DicomTag.StudyInstanceUid);
                if (string.IsNullOrWhiteSpace(uid) || !DicomUids.IsValid(uid))
                {
                    throw new DicomProtocolException($"the PACS answered a study-level C-FIND with a match whose Study Instance UID is {(string.IsNullOrWhiteSpace(uid) ? "missing" : $"'{uid}', not a UID")}");
                }

                undated |= string.IsNullOrWhiteSpace(study.GetString(DicomTag.StudyDate));
                untimed |= string.IsNullOrWhiteSpace(study.GetString(DicomTag.StudyTime));
                held.Add(study);
                if (held.Count >= Chunk)
                {
                    await HandOnAsync();
                }
            }

            async Task<SliceAnswer> AskAsync(DicomDataset identifier)
            {
                held.Clear();
                undated = untimed = false;
                var answer = await studies.FindAsync(identifier, OnMatchAsync, ct);
                var capped = answer.Capped || (maxResults > 0 && answer.Matches >= maxResults);
                if (!answer.Succeeded && !capped)
                {
                    throw new DicomStatusException("C-FIND", answer.Status, answer.ErrorComment);
                }

                if (answer.Capped && answer.Matches == 0)
                {
                    throw new DicomStatusException("C-FIND (the PACS returned no match at all before it)", answer.Status, answer.ErrorComment);
                }

                if (capped)
                {
                    held.Clear(); // asked again in halves
                }
                else
                {
                    await HandOnAsync();
                }

                return new SliceAnswer(capped, answer.Matches, undated, untimed);
            }

            SearchSummary summary;
            if (query.StudyUids.Count > 0)
            {
                // One C-FIND per listed study: UID list matching is optional in an SCP, a single UID is not.
                var queries = 0;
                foreach (var uid in query.StudyUids.Distinct(StringComparer.Ordinal))
                {
                    await AskAsync(StudyIdentifier(query, new SearchSlice(query.From, query.To), uid));
                    queries++;
                }

                summary = new SearchSummary(queries, 0);
            }
            else
            {
                var today = DateOnly.FromDateTime(clock.GetLocalNow().DateTime);
                summary = await CappedSearch.RunAsync(new SearchSlice(query.From, query.To), today, (slice, _) => AskAsync(StudyIdentifier(query, slice, null)), ct);
            }

            await studies.ReleaseAsync(ct);
            if (series is not null)
            {
                await series.ReleaseAsync(ct);
            }

            return summary;
        }
        finally
        {
            if (series is not null)
            {
                await series.DisposeAsync();
            }
        }
    }

    /// <summary>The series of one study, on an association of its own.</summary>
    public static async Task<IReadOnlyList<SeriesMatch>> FindSeriesAsync(DicomClient client, string studyUid, StudyTypeResolver types, CancellationToken ct)
    {
        await using var association = await client.OpenFindAsync(ct);
        var series = await FindSeriesAsync(association, studyUid, types, ct);
        await association.ReleaseAsync(ct);
        return series;
    }

    /// <summary>The series of one study.</summary>
    public static async Task<IReadOnlyList<SeriesMatch>> FindSeriesAsync(FindAssociation association, string studyUid, StudyTypeResolver types, CancellationToken ct)
    {
        var id = new DicomDataset();
        id.AddString(Tags.QueryRetrieveLevel, "CS", "SERIES");
        id.AddString(DicomTag.StudyInstanceUid, "UI", studyUid);
        id.AddString(DicomTag.SeriesInstanceUid, "UI", string.Empty);
        id.AddString(DicomTag.Modality, "CS", string.Empty);
        id.AddString(DicomTag.BodyPartExamined, "CS", string.Empty);
        id.AddString(DicomTag.SeriesDescription, "LO", string.Empty);
        id.AddString(Tags.NumberOfSeriesRelatedInstances, "IS", string.Empty);
        var series = new List<SeriesMatch>();
        var answer = await association.FindAsync(id, s =>
        {
            var seriesUid = s.GetString(DicomTag.SeriesInstanceUid);
            if (string.IsNullOrWhiteSpace(seriesUid) || !DicomUids.IsValid(seriesUid))
            {
                throw new DicomProtocolException($"the PACS answered a series-level C-FIND for study {studyUid} with a match whose Series Instance UID is {(string.IsNullOrWhiteSpace(seriesUid) ? "missing" : $"'{seriesUid}', not a UID")}");
            }

            if (s.GetString(DicomTag.StudyInstanceUid) is { Length: > 0 } echoed && echoed != studyUid)
            {
                throw new DicomProtocolException($"the PACS answered a series-level C-FIND for study {studyUid} with a series of study {echoed}");
            }

            var modality = Blank(s.GetString(DicomTag.Modality));
            var part = Blank(s.GetString(DicomTag.BodyPartExamined));
            series.Add(new SeriesMatch(seriesUid, modality, part, Count(s, Tags.NumberOfSeriesRelatedInstances), types.Resolve(part, modality, s.GetString(DicomTag.SeriesDescription))));
            return ValueTask.CompletedTask;
        }, ct);
        if (!answer.Succeeded)
        {
            throw new DicomStatusException($"C-FIND of the series of study {studyUid}", answer.Status, answer.ErrorComment);
        }

        return series;
    }

    /// <summary>The identifier that retrieves one series (C-MOVE or C-GET at series level).</summary>
    public static DicomDataset SeriesRetrieveIdentifier(string studyUid, string seriesUid)
    {
        var id = new DicomDataset();
        id.AddString(Tags.QueryRetrieveLevel, "CS", "SERIES");
        id.AddString(DicomTag.StudyInstanceUid, "UI", studyUid);
        id.AddString(DicomTag.SeriesInstanceUid, "UI", seriesUid);
        return id;
    }

    private static DicomDataset StudyIdentifier(PacsQuery q, SearchSlice slice, string? studyUid)
    {
        var id = new DicomDataset();
        id.AddString(Tags.QueryRetrieveLevel, "CS", "STUDY");
        id.AddString(DicomTag.StudyDate, "DA", slice.DateRange);
        id.AddString(DicomTag.StudyTime, "TM", slice.TimeRange);
        id.AddString(DicomTag.AccessionNumber, "SH", q.Accession ?? string.Empty);
        id.AddString(DicomTag.PatientId, "LO", q.PatientId ?? string.Empty);
        id.AddString(DicomTag.StudyInstanceUid, "UI", studyUid ?? string.Empty);
        id.AddString(Tags.ModalitiesInStudy, "CS", string.Join('\\', q.Modalities));
        id.AddString(Tags.NumberOfStudyRelatedInstances, "IS", string.Empty);
        return id;
    }

    private static StudyMatch Describe(DicomDataset study, string uid, IReadOnlyList<SeriesMatch> series)
    {
        var modalities = series.Select(s => s.Modality).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        if (modalities.Count == 0)
        {
            modalities = [.. study.GetStrings(Tags.ModalitiesInStudy)];
        }

        var parts = series.Select(s => s.BodyPart).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var instances = Count(study, Tags.NumberOfStudyRelatedInstances) ?? (series.All(s => s.Instances is not null) && series.Count > 0 ? series.Sum(s => s.Instances!.Value) : null);
        return new StudyMatch(uid, Blank(study.GetString(DicomTag.StudyDate)), Blank(study.GetString(DicomTag.AccessionNumber)), Blank(study.GetString(DicomTag.PatientId)),
            modalities, parts.Count == 0 ? null : string.Join(',', parts), instances, series);
    }

    /// <summary>What the PACS matched is checked again here: date range, accession, patient id, and modality and body part from the series.</summary>
    private static bool Keeps(PacsQuery q, StudyMatch m)
    {
        if ((q.From is not null || q.To is not null) && DateOnly.TryParseExact(m.StudyDate, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && ((q.From is { } f && date < f) || (q.To is { } t && date > t)))
        {
            return false;
        }

        if (q.Accession is { } a && m.Accession is { } ma && !string.Equals(a, ma, StringComparison.Ordinal))
        {
            return false;
        }

        if (q.PatientId is { } p && m.PatientId is { } mp && !string.Equals(p, mp, StringComparison.Ordinal))
        {
            return false;
        }

        if (q.Modalities.Count > 0 && !m.Modalities.Any(x => q.Modalities.Contains(x, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (q.BodyPart is { } bp)
        {
            var wanted = StudyTypes.Normalise(bp) ?? bp.ToUpperInvariant();
            if (!m.Series.Any(s => s.BodyPart is { } sb && (StudyTypes.Normalise(sb) ?? sb.ToUpperInvariant()) == wanted))
            {
                return false;
            }
        }

        return true;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static int? Count(DicomDataset d, DicomTag tag) => d.GetInt(tag) is { } n && n >= 0 ? n : null;
}
