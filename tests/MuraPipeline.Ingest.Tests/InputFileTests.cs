using MuraPipeline.Contracts;
using MuraPipeline.Imaging;
using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Ingest.Tests;

public sealed class InputFileTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mura_layout_path_is_filed_under_its_study_folder()
    {
        var p = MuraLayout.TryParse("/data/MURA-v1.1/valid/XR_WRIST/patient11185/study1_positive/image1.png")!;
        Assert.Equal(("XR_WRIST/patient11185/study1_positive", "WRIST", true), (p.StudyKey, p.StudyType, p.Positive));
        var same = MuraLayout.TryParse("/elsewhere/XR_WRIST/patient11185/study1_positive/image2.png")!;
        Assert.Equal(p.StudyInstanceUid, same.StudyInstanceUid);
        Assert.NotEqual(p.SopInstanceUid, same.SopInstanceUid);
        Assert.Null(MuraLayout.TryParse("/data/XR_WRIST/someone/study1/image1.png"));
    }

    [Fact]
    public void Dicom_file_is_filed_under_its_study_and_sop_instance_uids()
    {
        PhantomWriter.WriteAll(new PhantomGenerator(3, minSide: 300, maxSide: 400), 1, _dir, PhantomFormat.Dicom);
        var file = InputFile.Enumerate([_dir]).Files[0];
        var f = InputFile.Inspect(file, StudyTypeResolver.Default);
        var study = new PhantomGenerator(3, minSide: 300, maxSide: 400).Generate(0);
        Assert.Null(f.Error);
        Assert.Equal((study.StudyInstanceUid, study.BodyPart, "dicom"), (f.StudyInstanceUid, f.BodyPart, f.Source));
    }

    [Fact]
    public void Unreadable_inputs_are_filed_alone_with_a_reason_and_reports_are_skipped()
    {
        File.WriteAllBytes(Path.Combine(_dir, "zero.dcm"), []);
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "hello");
        File.WriteAllText(Path.Combine(_dir, "labels.csv"), "a,b");
        File.WriteAllBytes(Path.Combine(_dir, "loose.png"), [1, 2, 3]);
        var listing = InputFile.Enumerate([_dir]);
        var files = listing.Files;
        Assert.Equal(["loose.png", "zero.dcm"], files.Select(Path.GetFileName));
        Assert.Equal(2, listing.SkippedOther);
        var inspected = files.Select(f => InputFile.Inspect(f, StudyTypeResolver.Default)).ToList();
        Assert.All(inspected, f => Assert.NotNull(f.Error));
        Assert.Contains("MURA-layout", inspected[0].Error, StringComparison.Ordinal);
        Assert.Contains("empty", inspected[1].Error, StringComparison.Ordinal);
        Assert.NotEqual(inspected[0].StudyInstanceUid, inspected[1].StudyInstanceUid);
    }

    [Fact]
    public void Os_litter_is_skipped_and_counted_and_a_bad_file_inside_a_mura_study_folder_is_a_view_of_that_study()
    {
        var study = Path.Combine(_dir, "MURA-v1.1", "valid", "XR_WRIST", "patient11185", "study1_positive");
        Directory.CreateDirectory(study);
        File.WriteAllBytes(Path.Combine(study, "image1.png"), [1]);
        File.WriteAllBytes(Path.Combine(study, "image2.jpg"), [1]);
        File.WriteAllBytes(Path.Combine(study, ".DS_Store"), [0]);
        File.WriteAllBytes(Path.Combine(study, "._image1.png"), [0]);
        File.WriteAllBytes(Path.Combine(study, "Thumbs.db"), [0]);
        File.WriteAllBytes(Path.Combine(study, "desktop.ini"), [0]);
        File.WriteAllBytes(Path.Combine(_dir, "MURA-v1.1", ".DS_Store"), [0]);
        var mac = Path.Combine(_dir, "__MACOSX", "MURA-v1.1", "valid", "XR_WRIST", "patient11185", "study1_positive");
        Directory.CreateDirectory(mac);
        File.WriteAllBytes(Path.Combine(mac, "._image1.png"), [0]);
        var hidden = Path.Combine(_dir, "MURA-v1.1", ".Trashes", "XR_HAND", "patient1", "study1_negative");
        Directory.CreateDirectory(hidden);
        File.WriteAllBytes(Path.Combine(hidden, "image1.png"), [0]);

        var listing = InputFile.Enumerate([_dir]);
        Assert.Equal(["image1.png", "image2.jpg"], listing.Files.Select(Path.GetFileName));
        Assert.Equal(7, listing.SkippedLitter);
        var (png, jpg) = (InputFile.Inspect(listing.Files[0], StudyTypeResolver.Default), InputFile.Inspect(listing.Files[1], StudyTypeResolver.Default));
        Assert.Equal(png.StudyInstanceUid, jpg.StudyInstanceUid);
        Assert.Equal("WRIST", jpg.BodyPart);
        Assert.Contains("not a PNG image", jpg.Error, StringComparison.Ordinal);
        Assert.Null(png.Error);
    }
}
