using MuraPipeline.Dicom;
using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.DicomResults.Tests;

/// <summary>The SR and Secondary Captures, checked by tools nobody here wrote: dciodvfy (dicom3tools), dsrdump (dcmtk) and pydicom.</summary>
public sealed class ResultObjectTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A phantom study with a Latin-1 patient name, scored: its views, with a made-up CAM for each.</summary>
    internal StudyResult Scored(string sha = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12")
    {
        var root = Path.Combine(_dir, "phantom");
        PhantomWriter.WriteAll(new PhantomGenerator(1919, minSide: 256, maxSide: 320), 1, root, PhantomFormat.Dicom);
        var files = Directory.GetFiles(root, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var first = DicomFile.Open(files[0]).Dataset;
        first.AddString(DicomTag.SpecificCharacterSet, "CS", "ISO_IR 100");
        first.AddString(DicomTag.PatientName, "PN", "Müller^Zoë");
        var views = files.Select((f, i) =>
        {
            var ds = DicomFile.Open(f).Dataset;
            var gray = new GrayImage(64, 80, [.. Enumerable.Range(0, 64 * 80).Select(p => (byte)(p % 251))]);
            var cam = new float[7 * 7];
            cam[24] = 1;
            var grid = new byte[cam.Length * 4];
            Buffer.BlockCopy(cam, 0, grid, 0, grid.Length);
            return new ViewResult(ds.GetString(DicomTag.SopInstanceUid)!, ds.GetString(DicomTag.SopClassUid)!, ds.GetString(DicomTag.SeriesInstanceUid)!,
                0.3 + (0.3 * i), "WRIST", Png.Encode(gray), grid, 7, 7);
        }).ToList();
        return new StudyResult(first.GetString(DicomTag.StudyInstanceUid)!, first, "WRIST", views.Average(v => v.Probability), 0.5, sha, "densenet121-e3.onnx", DateTimeOffset.UtcNow, views, views.Average(v => v.Probability) >= 0.5, "description");
    }

    private string Write(ResultObject o)
    {
        var path = Path.Combine(_dir, $"{o.Kind}-{o.SopInstanceUid}.dcm");
        File.WriteAllBytes(path, o.Encode());
        return path;
    }

    [Fact]
    public void The_report_and_captures_pass_dciodvfy_dsrdump_reads_the_tree_and_pydicom_reads_both()
    {
        var study = Scored();
        var objects = ResultWriter.Build(study, new ResultOptions { UidRoot = "1.2.826.0.1.3680043.10.1414" }, DateTimeOffset.UtcNow);
        Assert.Equal(1 + study.Views.Count, objects.Count);
        var paths = objects.Select(Write).ToList();
        foreach (var path in paths)
        {
            var (_, stdout, stderr) = Peers.Run("dciodvfy", path);
            var errors = (stdout + stderr).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, $"{Path.GetFileName(path)}:\n{stdout}{stderr}");
        }

        var sr = paths[0];
        var (code, tree, err) = Peers.Run("dsrdump", "+U8", "+Pl", sr);
        Assert.True(code == 0, err);
        Assert.Contains("Imaging Measurement Report", tree, StringComparison.Ordinal);
        Assert.Contains("<contains CODE:(,,\"Finding\")=(263654008,SCT,\"Abnormal\")>", tree, StringComparison.Ordinal);
        Assert.Equal(study.Views.Count, tree.Split('\n').Count(l => l.Contains("Probability of abnormality", StringComparison.Ordinal)));
        Assert.Contains("Müller", tree, StringComparison.Ordinal);

        // What named the type is said beside the finding, in a TEXT item dsrdump reads back.
        Assert.Contains("<contains TEXT:(,,\"Study type source\")=\"WRIST: from procedure or description attributes", tree, StringComparison.Ordinal);

        const string script = """
            import sys, pydicom
            sr = pydicom.dcmread(sys.argv[1])
            groups = sr.ContentSequence[8].ContentSequence
            probs = [float(g.ContentSequence[3].MeasuredValueSequence[0].NumericValue) for g in groups]
            refs = [r.ReferencedSOPInstanceUID for s in sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence for r in s.ReferencedSOPSequence]
            print(sr.SOPClassUID, sr.StudyInstanceUID, sr.PatientName, sr.ContentTemplateSequence[0].TemplateIdentifier, ",".join(f"{p:.6f}" for p in probs), ",".join(sorted(refs)))
            for f in sys.argv[2:]:
                sc = pydicom.dcmread(f)
                a = sc.pixel_array
                print(sc.SOPClassUID, sc.StudyInstanceUID, sc.BurnedInAnnotation, sc.ConversionType, "\\".join(sc.ImageType), a.shape[0], a.shape[1], a.shape[2], sc.SourceImageSequence[0].ReferencedSOPInstanceUID)
            """;
        var (pc, py, pe) = Peers.Run("/usr/bin/python3", ["-c", script, .. paths], null, null);
        Assert.True(pc == 0, pe);
        var lines = py.Trim().Split('\n');
        Assert.Equal(
            $"{DicomUids.Comprehensive3DSrStorage} {study.StudyInstanceUid} Müller^Zoë 1500 {string.Join(',', study.Views.Select(v => v.Probability.ToString("0.000000", System.Globalization.CultureInfo.InvariantCulture)))} {string.Join(',', study.Views.Select(v => v.SopInstanceUid).Order(StringComparer.Ordinal))}",
            lines[0]);
        for (var i = 0; i < study.Views.Count; i++)
        {
            var parts = lines[i + 1].Split(' ');
            Assert.Equal([DicomUids.SecondaryCaptureImageStorage, study.StudyInstanceUid, "YES", "WSD", @"DERIVED\SECONDARY"], parts[..5]);
            Assert.Equal("3", parts[7]);
            Assert.True(int.Parse(parts[5], System.Globalization.CultureInfo.InvariantCulture) > 80, "the caption strip is below the image");
            Assert.Equal(study.Views[i].SopInstanceUid, parts[8]);
        }

        // A study no header typed says its type rests on the model.
        var byModel = ResultWriter.Report(study with { BodyPartSource = "model" }, new ResultOptions { UidRoot = "1.2.826.0.1.3680043.10.1414" }, DateTimeOffset.UtcNow);
        var byModelPath = Write(byModel);
        var (mc, modelTree, me) = Peers.Run("dsrdump", "+U8", "+Pl", byModelPath);
        Assert.True(mc == 0, me);
        Assert.Contains("WRIST: from the model's body-part reading of the views", modelTree, StringComparison.Ordinal);
        var (_, mo, mer) = Peers.Run("dciodvfy", byModelPath);
        Assert.DoesNotContain((mo + mer).Split('\n'), l => l.StartsWith("Error", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_study_and_model_give_the_same_uids_and_another_model_new_ones_under_the_root()
    {
        var study = Scored();
        var options = new ResultOptions { UidRoot = "1.2.826.0.1.3680043.10.1414" };
        var a = ResultWriter.Build(study, options, DateTimeOffset.UtcNow);
        var b = ResultWriter.Build(study, options, DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal(a.Select(o => o.SopInstanceUid), b.Select(o => o.SopInstanceUid));
        var other = ResultWriter.Build(study with { ModelSha256 = new string('9', 64) }, options, DateTimeOffset.UtcNow);
        Assert.Empty(a.Select(o => o.SopInstanceUid).Intersect(other.Select(o => o.SopInstanceUid)));
        Assert.All(a.Concat(other), o =>
        {
            Assert.StartsWith("1.2.826.0.1.3680043.10.1414.", o.SopInstanceUid, StringComparison.Ordinal);
            Assert.True(DicomUids.IsValid(o.SopInstanceUid), o.SopInstanceUid);
            Assert.True(DicomUids.IsValid(o.SeriesInstanceUid), o.SeriesInstanceUid);
        });
        Assert.True(DicomUids.IsValid(ResultUids.For(string.Empty, "x")));
        Assert.Throws<DicomException>(() => ResultUids.For("1.2.03", "x"));

        var abnormalOnly = ResultWriter.Build(study, new ResultOptions { Captures = CapturePolicy.Abnormal }, DateTimeOffset.UtcNow);
        Assert.Equal(study.Views.Count(v => v.Probability >= study.Threshold), abnormalOnly.Count(o => o.Kind == "sc"));
    }
}
