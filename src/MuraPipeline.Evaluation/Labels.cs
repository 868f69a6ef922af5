using System.Globalization;
using MuraPipeline.Contracts;
using MuraPipeline.Imaging;

namespace MuraPipeline.Evaluation;

/// <summary>
/// The one labels reader (evaluate, calibrate and labels import). Understands a table with a header (study_uid, label;
/// optional body_part, reader, read_at, boxes) and MURA's own CSVs as shipped, whose study folders are matched to a
/// screened MURA tree whatever prefix sits before <c>XR_…</c>. Labels are 1/0, positive/negative or abnormal/normal;
/// anything else, and any malformed row, is an error naming the file and line, so a file is taken whole or not at all.
/// </summary>
public static class Labels
{
    public static LabelSet Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var first = lines.Select((text, i) => (text, i)).FirstOrDefault(l => l.text.Trim().Length > 0);
        if (first.text is null)
        {
            throw new InvalidDataException($"{path} is empty");
        }

        var header = Csv.Split(first.text.TrimStart('\uFEFF')).Select(h => h.Trim()).ToList();
        if (header.Contains("study_uid"))
        {
            return ReadTable(path, lines, first.i, header);
        }

        var cell = header[0];
        if (MuraLayout.TryParseStudyFolder(cell) is null && MuraLayout.TryParse(cell) is null)
        {
            throw new InvalidDataException($"{path} line {first.i + 1}: expected a header with study_uid and label, or MURA's CSV rows ('MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/,1' or '…/study1_positive/image1.png'); found '{first.text}'");
        }

        return MuraLayout.TryParse(cell) is not null ? ReadMuraImages(path, lines) : ReadMuraStudies(path, lines);
    }

    /// <summary>1/0, positive/negative, abnormal/normal (any case); null for anything else.</summary>
    public static bool? ParseLabel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "1" or "abnormal" or "positive" => true,
        "0" or "normal" or "negative" => false,
        _ => null,
    };

    private static LabelSet ReadTable(string path, string[] lines, int headerLine, List<string> header)
    {
        if (!header.Contains("label"))
        {
            throw new InvalidDataException($"{path} has no column 'label'");
        }

        var column = header.Select((name, i) => (name, i)).DistinctBy(c => c.name).ToDictionary(c => c.name, c => c.i, StringComparer.Ordinal);
        var rows = new List<StudyLabel>();
        var boxes = new List<LabelBox>();
        for (var i = headerLine + 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            var fields = Csv.Split(lines[i]);
            string Get(string name) => column.TryGetValue(name, out var c) && c < fields.Count ? fields[c].Trim() : string.Empty;
            var line = i + 1;
            var uid = Get("study_uid");
            if (uid.Length is 0 or > 64)
            {
                throw new InvalidDataException($"{path} line {line}: study_uid is empty or longer than 64 characters");
            }

            var abnormal = ParseLabel(Get("label")) ?? throw new InvalidDataException($"{path} line {line}: label '{Get("label")}' is not 1/0, positive/negative or abnormal/normal");
            var part = Get("body_part");
            var bodyPart = part.Length == 0 ? null : StudyTypes.Normalise(part) ?? throw new InvalidDataException($"{path} line {line}: body_part '{part}' is not one of {string.Join(", ", StudyTypes.All)}");
            var readAt = Get("read_at");
            DateTimeOffset? at = readAt.Length == 0 ? null
                : DateTimeOffset.TryParse(readAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUniversalTime()
                : throw new InvalidDataException($"{path} line {line}: read_at '{readAt}' is not an ISO 8601 time");
            var reader = Get("reader");
            rows.Add(new StudyLabel(uid, bodyPart, abnormal ? 1 : 0, reader.Length == 0 ? null : reader, at, line));
            boxes.AddRange(ParseBoxes(Get("boxes"), path, line));
        }

        return new LabelSet(path, LabelsFormat.Table, rows, boxes);
    }

    private static LabelSet ReadMuraStudies(string path, string[] lines)
    {
        var rows = new List<StudyLabel>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            var fields = Csv.Split(lines[i]);
            var folder = fields.Count == 2 ? MuraLayout.TryParseStudyFolder(fields[0].Trim()) : null;
            if (folder is null)
            {
                throw new InvalidDataException($"{path} line {i + 1}: expected 'MURA-v1.1/…/XR_PART/patientN/studyK_…/,LABEL', found '{lines[i]}'");
            }

            var label = ParseLabel(fields[1]) ?? throw new InvalidDataException($"{path} line {i + 1}: label '{fields[1]}' is not 1/0, positive/negative or abnormal/normal");
            rows.Add(new StudyLabel(folder.StudyInstanceUid, StudyTypes.Normalise(folder.StudyType), label ? 1 : 0, Line: i + 1));
        }

        return new LabelSet(path, LabelsFormat.MuraStudies, rows, []);
    }

    private static LabelSet ReadMuraImages(string path, string[] lines)
    {
        var rows = new List<StudyLabel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.Length == 0)
            {
                continue;
            }

            var image = MuraLayout.TryParse(Csv.Split(text)[0].Trim());
            if (image is null)
            {
                throw new InvalidDataException($"{path} line {i + 1}: expected a MURA image path '…/XR_PART/patientN/studyK_positive/imageM.png', found '{lines[i]}'");
            }

            if (image.Positive is not { } positive)
            {
                throw new InvalidDataException($"{path} line {i + 1}: study folder '{image.StudyKey}' does not end in _positive or _negative, so the path carries no label");
            }

            if (seen.Add(image.StudyInstanceUid))
            {
                rows.Add(new StudyLabel(image.StudyInstanceUid, StudyTypes.Normalise(image.StudyType), positive ? 1 : 0, Line: i + 1));
            }
        }

        return new LabelSet(path, LabelsFormat.MuraImages, rows, []);
    }

    /// <summary>"VIEW x0 y0 x1 y1" joined by ';', VIEW being a SOP Instance UID or a MURA-layout path.</summary>
    private static IEnumerable<LabelBox> ParseBoxes(string text, string path, int line)
    {
        foreach (var item in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = item.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 5 || !f.Skip(1).All(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            {
                throw new InvalidDataException($"{path} line {line}: box '{item}' is not 'VIEW x0 y0 x1 y1'");
            }

            var c = f.Skip(1).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            yield return new LabelBox(f[0], Math.Min(c[0], c[2]), Math.Min(c[1], c[3]), Math.Max(c[0], c[2]), Math.Max(c[1], c[3]));
        }
    }
}
