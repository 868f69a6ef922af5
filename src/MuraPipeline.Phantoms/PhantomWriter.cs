using System.Globalization;
using System.Text;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Phantoms;

/// <summary>Writes generated studies to disk and the ground truth to <c>labels.csv</c>.</summary>
public static class PhantomWriter
{
    public const string LabelsHeader = "study_uid,body_part,label,finding,views,boxes";

    /// <summary>Writes one study; returns its labels.csv line. Boxes are "VIEW x0 y0 x1 y1" in that view's pixel grid, joined by ';'.</summary>
    public static string Write(PhantomStudy study, string dir, PhantomFormat format) =>
        format == PhantomFormat.Dicom ? WriteDicom(study, dir) : WriteMura(study, dir);

    public static string WriteDicom(PhantomStudy study, string dir)
    {
        var folder = Path.Combine(dir, study.PatientId, study.AccessionNumber);
        Directory.CreateDirectory(folder);
        var boxes = new List<string>();
        foreach (var view in study.Views)
        {
            var ds = ToDataset(study, view);
            new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(Path.Combine(folder, $"IM{view.Index + 1:000}.dcm"));
            if (view.Lesion is { } b)
            {
                boxes.Add($"{view.SopInstanceUid} {b}");
            }
        }

        return Line(study.StudyInstanceUid, study, boxes);
    }

    public static string WriteMura(PhantomStudy study, string dir)
    {
        var key = MuraLayout.StudyFolder(study.BodyPart, study.Index + 1, 1, study.Abnormal);
        var folder = Path.Combine(dir, key);
        Directory.CreateDirectory(folder);
        var boxes = new List<string>();
        foreach (var view in study.Views)
        {
            var derivative = PixelPipeline.Derive(view.Frame, view.Transform);
            var file = $"image{view.Index + 1}.png";
            File.WriteAllBytes(Path.Combine(folder, file), Png.Encode(derivative));
            if (view.Lesion is { } b)
            {
                var scaled = b.Scale((double)derivative.Width / view.Frame.Width, (double)derivative.Height / view.Frame.Height);
                boxes.Add($"{key}/{file} {scaled}");
            }
        }

        return Line(MuraLayout.StudyUid(key), study, boxes);
    }

    private static string Line(string studyUid, PhantomStudy s, List<string> boxes) =>
        string.Create(CultureInfo.InvariantCulture, $"{studyUid},{s.BodyPart},{(s.Abnormal ? 1 : 0)},{s.Finding},{s.Views.Count},{string.Join(';', boxes)}");

    public static DicomDataset ToDataset(PhantomStudy s, PhantomView v)
    {
        var ds = new DicomDataset();
        ds.AddString(DicomTag.SpecificCharacterSet, "CS", "ISO_IR 100");
        ds.AddString(DicomTag.ImageType, "CS", @"ORIGINAL\PRIMARY");
        ds.AddString(DicomTag.SopClassUid, "UI", s.ComputedRadiography ? DicomUids.ComputedRadiographyImageStorage : DicomUids.DigitalXRayImageStorageForPresentation);
        ds.AddString(DicomTag.SopInstanceUid, "UI", v.SopInstanceUid);
        ds.AddString(DicomTag.StudyDate, "DA", s.StudyDate);
        ds.AddString(DicomTag.StudyTime, "TM", "093000");
        ds.AddString(DicomTag.AccessionNumber, "SH", s.AccessionNumber);
        ds.AddString(DicomTag.Modality, "CS", s.ComputedRadiography ? "CR" : "DX");
        ds.AddString(DicomTag.Manufacturer, "LO", "MuraPipeline Phantoms");
        ds.AddString(DicomTag.InstitutionName, "LO", "Phantom General Hospital");
        ds.AddString(DicomTag.StudyDescription, "LO", $"XR {s.BodyPart} {s.Views.Count}V");
        ds.AddString(DicomTag.SeriesDescription, "LO", $"{s.BodyPart} {v.ViewPosition}");
        ds.AddString(DicomTag.PatientName, "PN", s.PatientName);
        ds.AddString(DicomTag.PatientId, "LO", s.PatientId);
        ds.AddString(DicomTag.PatientBirthDate, "DA", s.PatientBirthDate);
        ds.AddString(DicomTag.PatientSex, "CS", s.PatientSex);
        ds.AddString(DicomTag.BodyPartExamined, "CS", s.BodyPart);
        var spacing = v.PixelSpacingMm.ToString("0.####", CultureInfo.InvariantCulture);
        ds.AddString(DicomTag.ImagerPixelSpacing, "DS", $"{spacing}\\{spacing}");
        ds.AddString(DicomTag.ViewPosition, "CS", v.ViewPosition);
        ds.AddString(DicomTag.StudyInstanceUid, "UI", s.StudyInstanceUid);
        ds.AddString(DicomTag.SeriesInstanceUid, "UI", s.SeriesInstanceUid);
        ds.AddString(DicomTag.StudyId, "SH", "1");
        ds.AddString(DicomTag.SeriesNumber, "IS", "1");
        ds.AddString(DicomTag.InstanceNumber, "IS", (v.Index + 1).ToString(CultureInfo.InvariantCulture));
        ds.AddString(DicomTag.ImageLaterality, "CS", s.Laterality);
        ds.AddUInt16(DicomTag.SamplesPerPixel, 1);
        ds.AddString(DicomTag.PhotometricInterpretation, "CS", v.Monochrome1 ? "MONOCHROME1" : "MONOCHROME2");
        ds.AddUInt16(DicomTag.Rows, (ushort)v.Frame.Height);
        ds.AddUInt16(DicomTag.Columns, (ushort)v.Frame.Width);
        ds.AddUInt16(DicomTag.BitsAllocated, 16);
        ds.AddUInt16(DicomTag.BitsStored, 12);
        ds.AddUInt16(DicomTag.HighBit, 11);
        ds.AddUInt16(DicomTag.PixelRepresentation, 0);
        if (v.WindowCenter is { } c && v.WindowWidth is { } w)
        {
            ds.AddString(DicomTag.WindowCenter, "DS", c.ToString(CultureInfo.InvariantCulture));
            ds.AddString(DicomTag.WindowWidth, "DS", w.ToString(CultureInfo.InvariantCulture));
        }

        if (v.RescaleSlope != 1 || v.RescaleIntercept != 0)
        {
            ds.AddString(DicomTag.RescaleIntercept, "DS", v.RescaleIntercept.ToString(CultureInfo.InvariantCulture));
            ds.AddString(DicomTag.RescaleSlope, "DS", v.RescaleSlope.ToString(CultureInfo.InvariantCulture));
            ds.AddString(DicomTag.RescaleType, "LO", "US");
        }

        ds.AddString(DicomTag.PresentationLutShape, "CS", "IDENTITY");
        var pixels = new byte[v.Frame.Values.Length * 2];
        for (var i = 0; i < v.Frame.Values.Length; i++)
        {
            var value = (ushort)v.Frame.Values[i];
            pixels[i * 2] = (byte)value;
            pixels[(i * 2) + 1] = (byte)(value >> 8);
        }

        ds.AddBytes(DicomTag.PixelData, "OW", pixels);
        return ds;
    }

    /// <summary>Generates studies [0, count) on all cores and writes labels.csv in study order.</summary>
    public static void WriteAll(PhantomGenerator generator, int count, string dir, PhantomFormat format, Action<int>? progress = null)
    {
        Directory.CreateDirectory(dir);
        var lines = new string[count];
        var done = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            lines[i] = Write(generator.Generate(i), dir, format);
            progress?.Invoke(Interlocked.Increment(ref done));
        });
        var sb = new StringBuilder().Append(LabelsHeader).Append('\n');
        foreach (var l in lines)
        {
            sb.Append(l).Append('\n');
        }

        File.WriteAllText(Path.Combine(dir, "labels.csv"), sb.ToString());
    }

    /// <summary>
    /// Re-labels the DICOM studies under <paramref name="dir"/> the way real archives label them: the type attributes
    /// (Body Part Examined, Study, Series and Requested Procedure Description, Protocol Name) are removed, then each
    /// study, in the order of its Study Instance UID, gets the Body Part Examined and Study Description
    /// <paramref name="labels"/> gives it (null leaves it out). Returns the study UIDs in that order.
    /// </summary>
    public static List<string> Relabel(string dir, IReadOnlyList<(string? BodyPart, string? StudyDescription)> labels)
    {
        var files = Directory.GetFiles(dir, "*.dcm", SearchOption.AllDirectories);
        var uids = files.Select(f => DicomFile.OpenHeader(f).Dataset.GetString(DicomTag.StudyInstanceUid)!).Distinct().Order(StringComparer.Ordinal).ToList();
        if (uids.Count != labels.Count)
        {
            throw new ArgumentException($"{dir} holds {uids.Count} studies, not the {labels.Count} labelled", nameof(labels));
        }

        foreach (var f in files)
        {
            var file = DicomFile.Open(f);
            var (part, description) = labels[uids.IndexOf(file.Dataset.GetString(DicomTag.StudyInstanceUid)!)];
            foreach (var tag in new[] { DicomTag.BodyPartExamined, DicomTag.StudyDescription, DicomTag.SeriesDescription, DicomTag.ProtocolName, DicomTag.RequestedProcedureDescription })
            {
                file.Dataset.Remove(tag);
            }

            if (part is not null)
            {
                file.Dataset.AddString(DicomTag.BodyPartExamined, "CS", part);
            }

            if (description is not null)
            {
                file.Dataset.AddString(DicomTag.StudyDescription, "LO", description);
            }

            using var stream = File.Create(f);
            DicomWriter.Write(stream, file);
        }

        return uids;
    }
}
