using System.Globalization;
using MuraPipeline.Contracts;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;

namespace MuraPipeline.Pacs;

/// <summary>What to look for on a PACS: the filters of `mura pacs find` and `mura pacs pull`, or a list of study UIDs.</summary>
public sealed record PacsQuery
{
    public DateOnly? From { get; init; }

    public DateOnly? To { get; init; }

    /// <summary>Modalities a study must have one series of (CR, DX…); empty: any.</summary>
    public IReadOnlyList<string> Modalities { get; init; } = [];

    /// <summary>A study type (WRIST…) or a Body Part Examined value a series must have; null: any.</summary>
    public string? BodyPart { get; init; }

    public string? Accession { get; init; }

    public string? PatientId { get; init; }

    /// <summary>Exactly these studies (the filters above still apply).</summary>
    public IReadOnlyList<string> StudyUids { get; init; } = [];

    /// <summary>How the operator put it, for the job row and the audit trail.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (From is { } f)
        {
            parts.Add($"from {f:yyyy-MM-dd}");
        }

        if (To is { } t)
        {
            parts.Add($"to {t:yyyy-MM-dd}");
        }

        if (Modalities.Count > 0)
        {
            parts.Add($"modality {string.Join(',', Modalities)}");
        }

        if (BodyPart is { } b)
        {
            parts.Add($"body part {b}");
        }

        if (Accession is { } a)
        {
            parts.Add($"accession {a}");
        }

        if (PatientId is { } p)
        {
            parts.Add($"patient id {p}");
        }

        if (StudyUids.Count > 0)
        {
            parts.Add($"{StudyUids.Count} listed studies");
        }

        return parts.Count == 0 ? "all studies" : string.Join("; ", parts);
    }
}

/// <summary>One series of a study, as the PACS describes it at series level.</summary>
public sealed record SeriesMatch(string SeriesInstanceUid, string? Modality, string? BodyPart, int? Instances)
{
    /// <summary>The modalities we screen: computed and digital radiography, and secondary captures of them.</summary>
    public static readonly IReadOnlySet<string> ScreenedModalities = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "CR", "DX", "OT", "SC" };

    /// <summary>Whether its instances are pulled: a CR, DX or SC series whose body part is one of the seven study types (or not given; ingest decides then).</summary>
    public bool Wanted => (Modality is null || ScreenedModalities.Contains(Modality))
        && (string.IsNullOrWhiteSpace(BodyPart) || StudyTypes.Normalise(BodyPart) is not null);
}

/// <summary>One study on the PACS with what its series say.</summary>
public sealed record StudyMatch(string StudyInstanceUid, string? StudyDate, string? Accession, string? PatientId, IReadOnlyList<string> Modalities, string? BodyPart, int? Instances, IReadOnlyList<SeriesMatch> Series)
{
    /// <summary>Instances in the series we pull.</summary>
    public int? WantedInstances => Series.Count == 0 ? Instances
        : Series.Where(s => s.Wanted).All(s => s.Instances is not null) ? Series.Where(s => s.Wanted).Sum(s => s.Instances!.Value) : null;
}

/// <summary>
/// Study Root C-FIND against a PACS: studies at study level (date range, accession, patient id, modalities in study),
/// then each match's series at series level (modality and body part are series attributes; many PACS do not match
/// Modalities in Study at all). The series answers filter the studies on modality and body part, and say what a pull
/// takes and what it leaves.
/// </summary>
public static class PacsFinder
{
    public static async Task<IReadOnlyList<StudyMatch>> FindAsync(DicomClient client, PacsQuery query, CancellationToken ct)
    {
        var studies = new List<DicomDataset>();
        if (query.StudyUids.Count > 0)
        {
            // One C-FIND per listed study: UID list matching is optional in an SCP, a single UID is not.
            foreach (var uid in query.StudyUids.Distinct(StringComparer.Ordinal))
            {
                studies.AddRange(await client.FindAsync(StudyIdentifier(query, uid), ct));
            }
        }
        else
        {
            studies.AddRange(await client.FindAsync(StudyIdentifier(query, null), ct));
        }

        var matches = new List<StudyMatch>();
        foreach (var study in studies)
        {
            var uid = study.GetString(DicomTag.StudyInstanceUid);
            if (string.IsNullOrWhiteSpace(uid) || !DicomUids.IsValid(uid))
            {
                throw new DicomProtocolException($"the PACS answered a study-level C-FIND with a match whose Study Instance UID is {(string.IsNullOrWhiteSpace(uid) ? "missing" : $"'{uid}', not a UID")}");
            }

            if (matches.Any(m => m.StudyInstanceUid == uid))
            {
                continue;
            }

            var series = await FindSeriesAsync(client, uid, ct);
            var match = Describe(study, uid, series);
            if (Keeps(query, match))
            {
                matches.Add(match);
            }
        }

        return [.. matches.OrderBy(m => m.StudyDate, StringComparer.Ordinal).ThenBy(m => m.StudyInstanceUid, StringComparer.Ordinal)];
    }

    /// <summary>The series of one study.</summary>
    public static async Task<IReadOnlyList<SeriesMatch>> FindSeriesAsync(DicomClient client, string studyUid, CancellationToken ct)
    {
        var id = new DicomDataset();
        id.AddString(Tags.QueryRetrieveLevel, "CS", "SERIES");
        id.AddString(DicomTag.StudyInstanceUid, "UI", studyUid);
        id.AddString(DicomTag.SeriesInstanceUid, "UI", string.Empty);
        id.AddString(DicomTag.Modality, "CS", string.Empty);
        id.AddString(DicomTag.BodyPartExamined, "CS", string.Empty);
        id.AddString(Tags.NumberOfSeriesRelatedInstances, "IS", string.Empty);
        var series = new List<SeriesMatch>();
        foreach (var s in await client.FindAsync(id, ct))
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

            series.Add(new SeriesMatch(seriesUid, Blank(s.GetString(DicomTag.Modality)), Blank(s.GetString(DicomTag.BodyPartExamined)), Count(s, Tags.NumberOfSeriesRelatedInstances)));
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

    private static DicomDataset StudyIdentifier(PacsQuery q, string? studyUid)
    {
        var id = new DicomDataset();
        id.AddString(Tags.QueryRetrieveLevel, "CS", "STUDY");
        id.AddString(DicomTag.StudyDate, "DA", (q.From, q.To) switch
        {
            (null, null) => string.Empty,
            ({ } f, null) => $"{f:yyyyMMdd}-",
            (null, { } t) => $"-{t:yyyyMMdd}",
            ({ } f, { } t) => $"{f:yyyyMMdd}-{t:yyyyMMdd}",
        });
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

/// <summary>The query/retrieve attributes this project names.</summary>
public static class Tags
{
    public static readonly DicomTag QueryRetrieveLevel = new(0x0008, 0x0052);
    public static readonly DicomTag ModalitiesInStudy = new(0x0008, 0x0061);
    public static readonly DicomTag NumberOfStudyRelatedInstances = new(0x0020, 0x1208);
    public static readonly DicomTag NumberOfSeriesRelatedInstances = new(0x0020, 0x1209);
}
