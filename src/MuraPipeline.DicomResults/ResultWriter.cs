using System.Globalization;
using MuraPipeline.Contracts;
using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.DicomResults;

/// <summary>
/// Builds a scored study's results as DICOM objects in the source study: a Comprehensive 3D SR whose root template is
/// TID 1500 (Measurement Report), as the IHE AI Results profile does, and a Secondary Capture per view with the heatmap
/// blended into the image and a burned-in caption that says it is an AI output, not for diagnosis. Patient and study
/// attributes are copied from the source; every UID is derived from the study, the model version and the object, so
/// the same study and model always give the same objects.
/// </summary>
public static class ResultWriter
{
    public const string Manufacturer = "MuraPipeline";
    public const int SrSeriesNumber = 9901;
    public const int CaptureSeriesNumber = 9902;

    private static readonly DicomTag[] PatientAndStudy =
    [
        DicomTag.SpecificCharacterSet, DicomTag.StudyDate, DicomTag.StudyTime, DicomTag.AccessionNumber, Tags.ReferringPhysicianName,
        DicomTag.StudyDescription, DicomTag.PatientName, DicomTag.PatientId, new(0x0010, 0x0021), DicomTag.PatientBirthDate, DicomTag.PatientSex,
        DicomTag.StudyInstanceUid, DicomTag.StudyId,
    ];

    private static readonly (DicomTag Tag, string Vr)[] TypeTwo =
    [
        (DicomTag.StudyDate, "DA"), (DicomTag.StudyTime, "TM"), (DicomTag.AccessionNumber, "SH"), (Tags.ReferringPhysicianName, "PN"),
        (DicomTag.PatientName, "PN"), (DicomTag.PatientId, "LO"), (DicomTag.PatientBirthDate, "DA"), (DicomTag.PatientSex, "CS"), (DicomTag.StudyId, "SH"),
    ];

    public static IReadOnlyList<ResultObject> Build(StudyResult study, ResultOptions options, DateTimeOffset now)
    {
        var objects = new List<ResultObject> { Report(study, options, now) };
        if (options.Captures != CapturePolicy.None)
        {
            var n = 0;
            foreach (var view in study.Views)
            {
                n++;
                if (options.Captures == CapturePolicy.Abnormal && view.Probability < study.Threshold)
                {
                    continue;
                }

                objects.Add(Capture(study, view, n, options, now));
            }
        }

        return objects;
    }

    public static ResultObject Report(StudyResult study, ResultOptions options, DateTimeOffset now)
    {
        var root = options.UidRoot;
        var sop = ResultUids.For(root, study.StudyInstanceUid, study.ModelSha256, "sr");
        var series = ResultUids.For(root, study.StudyInstanceUid, study.ModelSha256, "sr-series");
        var d = Common(study, DicomUids.Comprehensive3DSrStorage, sop, series, "SR", SrSeriesNumber, "AI results (MuraPipeline)", 1, options, now);
        d.AddString(Tags.CompletionFlag, "CS", "COMPLETE");
        d.AddString(Tags.VerificationFlag, "CS", "UNVERIFIED");
        d.AddSequence(Tags.PerformedProcedureCodeSequence, []);
        d.AddSequence(Tags.CurrentRequestedProcedureEvidenceSequence, [Evidence(study)]);
        var scheme = new DicomDataset();
        scheme.AddString(Tags.CodingSchemeDesignator, "SH", "99MURA");
        scheme.AddString(Tags.CodingSchemeName, "ST", "MuraPipeline private codes");
        scheme.AddString(Tags.CodingSchemeResponsibleOrganization, "ST", Manufacturer);
        d.AddSequence(Tags.CodingSchemeIdentificationSequence, [scheme]);

        var device = ResultUids.For(root, "device", Manufacturer, study.ModelSha256);
        var children = new List<DicomDataset>
        {
            Content.CodeItem("HAS CONCEPT MOD", Codes.LanguageOfContent, Codes.English),
            Content.CodeItem("HAS OBS CONTEXT", Codes.ObserverType, Codes.Device),
            Content.UidRef("HAS OBS CONTEXT", Codes.DeviceObserverUid, device),
            Content.Text("HAS OBS CONTEXT", Codes.DeviceObserverName, Manufacturer),
            Content.Text("HAS OBS CONTEXT", Codes.DeviceObserverManufacturer, Manufacturer),
            Content.Text("HAS OBS CONTEXT", Codes.DeviceObserverModelName, $"{study.ModelName} (model SHA-256 {study.ModelSha256})"),
            Content.CodeItem("HAS CONCEPT MOD", Codes.ProcedureReported, Codes.Radiography),
            Content.Container("CONTAINS", Codes.ImageLibrary,
            [
                Content.Container("CONTAINS", Codes.ImageLibraryGroup, study.Views.Select(v => Content.Image("CONTAINS", null, v.SopClassUid, v.SopInstanceUid))),
            ]),
            Content.Container("CONTAINS", Codes.ImagingMeasurements, study.Views.Select((v, i) => MeasurementGroup(study, v, i + 1, root))),
            Content.Container("CONTAINS", Codes.QualitativeEvaluations,
            [
                Content.CodeItem("CONTAINS", Codes.Finding, study.Abnormal ? Codes.Abnormal : Codes.Normal),
                Content.Num("CONTAINS", Codes.StudyScore, study.Score, Codes.NoUnits),
                Content.Num("CONTAINS", Codes.DecisionThreshold, study.Threshold, Codes.NoUnits),
                .. TypeSource(study),
            ]),
        };
        var content = Content.Container(null, Codes.ImagingMeasurementReport, children, template: "1500");
        foreach (var e in content.Elements)
        {
            d.Set(e);
        }

        return new ResultObject("sr", DicomUids.Comprehensive3DSrStorage, sop, series, null, new DicomFile(DicomWriter.CreateMeta(d), d));
    }

    /// <summary>
    /// What named the study type behind each Finding Site, as a qualitative evaluation (TID 1500 rows 13-14 take any
    /// TEXT): the header attribute, or the model's own reading when no header said.
    /// </summary>
    private static IEnumerable<DicomDataset> TypeSource(StudyResult study)
    {
        var said = study.BodyPartSource switch
        {
            null => null,
            StudyTypeCall.Dicom => "Body Part Examined (0018,0015)",
            StudyTypeCall.Description => "procedure or description attributes (Requested Procedure, Study, Series Description, Protocol Name)",
            StudyTypeCall.Folder => "the MURA folder layout",
            StudyTypeCall.Model => "the model's body-part reading of the views (no header named the part)",
            var other => other,
        };
        if (said is not null && study.BodyPart is not null)
        {
            yield return Content.Text("CONTAINS", Codes.StudyTypeSource, $"{study.BodyPart.ToUpperInvariant()}: from {said}");
        }
    }

    /// <summary>TID 1501: one view's probability (inferred from its image), its predicted body part and where it is.</summary>
    private static DicomDataset MeasurementGroup(StudyResult study, ViewResult v, int n, string root)
    {
        var items = new List<DicomDataset>
        {
            Content.Text("HAS OBS CONTEXT", Codes.TrackingIdentifier, $"view {n.ToString(CultureInfo.InvariantCulture)}"),
            Content.UidRef("HAS OBS CONTEXT", Codes.TrackingUniqueIdentifier, ResultUids.For(root, study.StudyInstanceUid, study.ModelSha256, "track", v.SopInstanceUid)),
        };
        if (Codes.Anatomy(study.BodyPart) is { } site)
        {
            items.Add(Content.CodeItem("HAS CONCEPT MOD", Codes.FindingSite, site));
        }

        items.Add(Content.Num("CONTAINS", Codes.AbnormalityProbability, v.Probability, Codes.NoUnits,
            [Content.Image("INFERRED FROM", null, v.SopClassUid, v.SopInstanceUid)]));
        if (Codes.Anatomy(v.PredictedBodyPart) is { } predicted)
        {
            items.Add(Content.CodeItem("CONTAINS", Codes.PredictedBodyPart, predicted));
        }

        return Content.Container("CONTAINS", Codes.MeasurementGroup, items);
    }

    public static ResultObject Capture(StudyResult study, ViewResult view, int number, ResultOptions options, DateTimeOffset now)
    {
        var root = options.UidRoot;
        var sop = ResultUids.For(root, study.StudyInstanceUid, study.ModelSha256, "sc", view.SopInstanceUid);
        var series = ResultUids.For(root, study.StudyInstanceUid, study.ModelSha256, "sc-series");
        var d = Common(study, DicomUids.SecondaryCaptureImageStorage, sop, series, "OT", CaptureSeriesNumber, "AI heatmaps (MuraPipeline) - not for diagnosis", number, options, now);
        d.Remove(Tags.ReferencedPerformedProcedureStepSequence); // an SR series attribute; in a General Series it may not be empty
        d.AddString(DicomTag.Laterality, "CS", view.Laterality ?? string.Empty);
        d.AddString(Tags.ConversionType, "CS", "WSD");
        d.AddString(DicomTag.ImageType, "CS", @"DERIVED\SECONDARY");
        d.AddString(Tags.BurnedInAnnotation, "CS", "YES");
        d.AddString(Tags.PatientOrientation, "CS", string.Empty);
        d.AddString(Tags.DerivationDescription, "ST", "Class activation map of an AI abnormality model blended over the image; AI output, not for diagnosis");
        d.AddSequence(Tags.SourceImageSequence, [Content.Reference(view.SopClassUid, view.SopInstanceUid)]);

        var gray = Png.DecodeGray(view.DerivativePng);
        RgbImage picture;
        if (view.CamGrid is { } grid && view.CamWidth > 0 && view.CamHeight > 0 && grid.Length == view.CamWidth * view.CamHeight * 4)
        {
            var cam = new float[view.CamWidth * view.CamHeight];
            Buffer.BlockCopy(grid, 0, cam, 0, grid.Length);
            picture = Heatmap.Overlay(gray, cam, view.CamWidth, view.CamHeight, options.CaptureSize);
        }
        else
        {
            var (w, h) = PixelPipeline.Fit(gray.Width, gray.Height, options.CaptureSize);
            var g = w == gray.Width && h == gray.Height ? gray : Resampler.ResizeGray(gray, w, h);
            picture = new RgbImage(g.Width, g.Height, [.. g.Pixels.SelectMany(p => new[] { p, p, p })]);
        }

        picture = Caption.Below(picture,
        [
            "AI OUTPUT - NOT FOR DIAGNOSIS",
            $"P(ABNORMAL) {Content.Decimal(view.Probability)}  THRESHOLD {Content.Decimal(study.Threshold)}",
            $"MODEL {study.ModelSha256[..Math.Min(12, study.ModelSha256.Length)]}",
        ]);
        d.AddUInt16(DicomTag.SamplesPerPixel, 3);
        d.AddString(DicomTag.PhotometricInterpretation, "CS", "RGB");
        d.AddUInt16(DicomTag.PlanarConfiguration, 0);
        d.AddUInt16(DicomTag.Rows, (ushort)picture.Height);
        d.AddUInt16(DicomTag.Columns, (ushort)picture.Width);
        d.AddUInt16(DicomTag.BitsAllocated, 8);
        d.AddUInt16(DicomTag.BitsStored, 8);
        d.AddUInt16(DicomTag.HighBit, 7);
        d.AddUInt16(DicomTag.PixelRepresentation, 0);
        d.AddBytes(DicomTag.PixelData, "OB", picture.Pixels);
        return new ResultObject("sc", DicomUids.SecondaryCaptureImageStorage, sop, series, view.SopInstanceUid, new DicomFile(DicomWriter.CreateMeta(d), d));
    }

    private static DicomDataset Common(StudyResult study, string sopClass, string sop, string series, string modality, int seriesNumber, string seriesDescription, int instance, ResultOptions options, DateTimeOffset now)
    {
        var d = new DicomDataset();
        foreach (var tag in PatientAndStudy)
        {
            if (study.Source.Get(tag) is { Items: null, Fragments: null } e)
            {
                d.Set(e);
            }
        }

        foreach (var (tag, vr) in TypeTwo)
        {
            if (!d.Contains(tag))
            {
                d.AddString(tag, vr, string.Empty);
            }
        }

        d.AddString(DicomTag.StudyInstanceUid, "UI", study.StudyInstanceUid);
        d.AddString(DicomTag.SopClassUid, "UI", sopClass);
        d.AddString(DicomTag.SopInstanceUid, "UI", sop);
        var local = now.ToUniversalTime();
        var date = local.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = local.ToString("HHmmss", CultureInfo.InvariantCulture);
        d.AddString(Tags.InstanceCreationDate, "DA", date);
        d.AddString(Tags.InstanceCreationTime, "TM", time);
        d.AddString(Tags.ContentDate, "DA", date);
        d.AddString(Tags.ContentTime, "TM", time);
        d.AddString(DicomTag.Modality, "CS", modality);
        d.AddString(DicomTag.SeriesInstanceUid, "UI", series);
        d.AddString(DicomTag.SeriesNumber, "IS", seriesNumber.ToString(CultureInfo.InvariantCulture));
        d.AddString(DicomTag.SeriesDescription, "LO", seriesDescription);
        d.AddString(DicomTag.InstanceNumber, "IS", instance.ToString(CultureInfo.InvariantCulture));
        d.AddSequence(Tags.ReferencedPerformedProcedureStepSequence, []);
        d.AddString(DicomTag.Manufacturer, "LO", Manufacturer);
        d.AddString(Tags.ManufacturerModelName, "LO", Manufacturer);
        d.AddString(Tags.DeviceSerialNumber, "LO", study.ModelSha256[..Math.Min(16, study.ModelSha256.Length)]);
        d.AddString(Tags.SoftwareVersions, "LO", Version());
        if (options.InstitutionName is { Length: > 0 } institution)
        {
            d.AddString(DicomTag.InstitutionName, "LO", institution);
        }

        var equipment = new DicomDataset();
        equipment.AddString(DicomTag.Manufacturer, "LO", Manufacturer);
        equipment.AddString(Tags.ManufacturerModelName, "LO", study.ModelName.Length > 64 ? study.ModelName[..64] : study.ModelName);
        equipment.AddString(Tags.DeviceSerialNumber, "LO", study.ModelSha256[..Math.Min(16, study.ModelSha256.Length)]);
        equipment.AddString(Tags.SoftwareVersions, "LO", $"{Version()}\\{study.ModelSha256}");
        equipment.AddSequence(Tags.PurposeOfReferenceCodeSequence, [Codes.ProcessingEquipment.Item()]);
        equipment.AddString(Tags.ContributionDateTime, "DT", study.ScoredAt.ToUniversalTime().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "+0000");
        equipment.AddString(Tags.ContributionDescription, "ST", $"AI abnormality screening of musculoskeletal radiographs; model SHA-256 {study.ModelSha256}");
        d.AddSequence(Tags.ContributingEquipmentSequence, [equipment]);
        return d;
    }

    /// <summary>Every instance the report refers to, by study and series.</summary>
    private static DicomDataset Evidence(StudyResult study)
    {
        var s = new DicomDataset();
        s.AddString(DicomTag.StudyInstanceUid, "UI", study.StudyInstanceUid);
        s.AddSequence(Tags.ReferencedSeriesSequence, [.. study.Views.GroupBy(v => v.SeriesInstanceUid).Select(g =>
        {
            var series = new DicomDataset();
            series.AddString(DicomTag.SeriesInstanceUid, "UI", g.Key);
            series.AddSequence(Tags.ReferencedSopSequence, [.. g.Select(v => Content.Reference(v.SopClassUid, v.SopInstanceUid))]);
            return series;
        })]);
        return s;
    }

    private static string Version() =>
        $"{Manufacturer} {typeof(ResultWriter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}";
}
