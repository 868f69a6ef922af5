using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

public sealed class DicomFileTests : IDisposable
{
    private readonly string _dir = Peers.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WritePhantom(out PhantomStudy study)
    {
        study = new PhantomGenerator(seed: 11, minSide: 300, maxSide: 400).Generate(0);
        var ds = PhantomWriter.ToDataset(study, study.Views[0]);
        var path = Path.Combine(_dir, "a.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(path);
        return path;
    }

    [Fact]
    public void Written_file_reads_back_with_the_same_tags_and_pixels()
    {
        var path = WritePhantom(out var study);
        var file = DicomFile.Open(path);
        Assert.Equal(DicomUids.ExplicitVrLittleEndian, file.TransferSyntaxUid);
        Assert.Equal(study.StudyInstanceUid, file.Dataset.GetString(DicomTag.StudyInstanceUid));
        Assert.Equal(study.PatientName, file.Dataset.GetString(DicomTag.PatientName));
        Assert.Equal(study.BodyPart, file.Dataset.GetString(DicomTag.BodyPartExamined));
        var frame = DicomPixelData.From(file).DecodeFrame();
        Assert.Equal(study.Views[0].Frame.Values, frame.Values);
    }

    [Fact]
    public void Header_read_stops_before_pixel_data()
    {
        var path = WritePhantom(out _);
        var header = DicomFile.OpenHeader(path);
        Assert.False(header.Dataset.Contains(DicomTag.PixelData));
        Assert.NotNull(header.Dataset.GetString(DicomTag.SopInstanceUid));
    }

    [Fact]
    public void Header_read_gets_every_attribute_when_the_first_probe_ends_exactly_on_an_element_boundary()
    {
        // A private block before the study's attributes, sized so that it ends at byte 16384, the first probe's end:
        // that probe parses cleanly but holds none of what follows.
        var study = new PhantomGenerator(seed: 11, minSide: 300, maxSide: 400).Generate(0);
        var path = Path.Combine(_dir, "private.dcm");
        void Write(int size)
        {
            var ds = PhantomWriter.ToDataset(study, study.Views[0]);
            ds.AddBytes(new DicomTag(0x0009, 0x1010), "OB", new byte[size]);
            new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(path);
        }

        Write(2);
        var at = File.ReadAllBytes(path).AsSpan().IndexOf((ReadOnlySpan<byte>)[0x09, 0x00, 0x10, 0x10, (byte)'O', (byte)'B']);
        Write(16384 - (at + 12));
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 16384 && bytes[16384] != 0x09, "the private block must end at the probe's end, inside the header");

        var header = DicomFile.OpenHeader(path);
        Assert.Equal(study.StudyInstanceUid, header.Dataset.GetString(DicomTag.StudyInstanceUid));
        Assert.Equal(study.Views[0].SopInstanceUid, header.Dataset.GetString(DicomTag.SopInstanceUid));
        Assert.False(header.Dataset.Contains(DicomTag.PixelData));
    }

    [Fact]
    public void Dcmdump_reads_our_file_and_sees_the_same_attributes()
    {
        var path = WritePhantom(out var study);
        var (code, stdout, stderr) = Peers.Run("dcmdump", "-q", path);
        Assert.True(code == 0, stderr);
        Assert.Contains($"[{study.PatientName}]", stdout, StringComparison.Ordinal);
        Assert.Contains(study.StudyInstanceUid, stdout, StringComparison.Ordinal);
        Assert.Contains("=LittleEndianExplicit", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Pydicom_decodes_our_pixels_to_the_same_values()
    {
        var path = WritePhantom(out var study);
        var (code, stdout, stderr) = Peers.Python("import sys, pydicom; a = pydicom.dcmread(sys.argv[1]).pixel_array.astype('int64'); print(a.shape[0], a.shape[1], int(a.sum()), int((a * a).sum() % 1000000007))", path);
        Assert.True(code == 0, stderr);
        var v = study.Views[0].Frame;
        long sum = 0, sq = 0;
        foreach (var x in v.Values)
        {
            sum += x;
            sq = (sq + ((long)x * x)) % 1000000007;
        }

        Assert.Equal($"{v.Height} {v.Width} {sum} {sq}", stdout.Trim());
    }

    [Fact]
    public void Implicit_vr_file_round_trips_keeps_private_tags_and_masks_signed_stored_values()
    {
        var ds = new DicomDataset();
        ds.AddString(DicomTag.SopClassUid, "UI", DicomUids.SecondaryCaptureImageStorage).AddString(DicomTag.SopInstanceUid, "UI", "1.2.826.0.1.3680043.99.1");
        ds.AddString(DicomTag.PatientName, "PN", "IMPLICIT^TEST");
        ds.AddUInt16(DicomTag.Rows, 2).AddUInt16(DicomTag.Columns, 2).AddUInt16(DicomTag.SamplesPerPixel, 1);
        ds.AddUInt16(DicomTag.BitsAllocated, 16).AddUInt16(DicomTag.BitsStored, 12).AddUInt16(DicomTag.HighBit, 11).AddUInt16(DicomTag.PixelRepresentation, 1);
        ds.AddString(DicomTag.PhotometricInterpretation, "CS", "MONOCHROME2");
        ds.AddBytes(new DicomTag(0x0009, 0x1001), "LO", "PRIVATE!"u8.ToArray());
        // Stored 12-bit signed values with garbage in the unused high bits: 0xF001 → 1, 0x0FFF → -1, 0x0800 → -2048, 0xA7FF → 2047.
        ds.AddBytes(DicomTag.PixelData, "OW", new byte[] { 0x01, 0xF0, 0xFF, 0x0F, 0x00, 0x08, 0xFF, 0xA7 });
        var path = Path.Combine(_dir, "implicit.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds, DicomUids.ImplicitVrLittleEndian), ds).Save(path);

        var file = DicomFile.Open(path);
        Assert.Equal(DicomUids.ImplicitVrLittleEndian, file.TransferSyntaxUid);
        Assert.Equal("IMPLICIT^TEST", file.Dataset.GetString(DicomTag.PatientName));
        Assert.Equal("PRIVATE!"u8.ToArray(), file.Dataset.Get(new DicomTag(0x0009, 0x1001))!.Value.ToArray());
        Assert.Equal([1, -1, -2048, 2047], DicomPixelData.From(file).DecodeFrame().Values);

        var (code, stdout, stderr) = Peers.Run("dcmdump", "-q", path);
        Assert.True(code == 0, stderr);
        Assert.Contains("=LittleEndianImplicit", stdout, StringComparison.Ordinal);
        Assert.Contains("[IMPLICIT^TEST]", stdout, StringComparison.Ordinal);
        Assert.Contains("(0009,1001)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_fails_with_a_reason_an_operator_can_read()
    {
        var path = WritePhantom(out _);
        var bytes = File.ReadAllBytes(path);
        var ex = Assert.Throws<DicomException>(() => DicomReader.Read(bytes[..(bytes.Length / 2)], stopAtPixelData: false));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(7FE0,0010)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Object_without_pixel_data_is_reported_as_not_an_image_with_its_sop_class()
    {
        var ds = new DicomDataset();
        ds.AddString(DicomTag.SopClassUid, "UI", "1.2.840.10008.5.1.4.1.1.88.11").AddString(DicomTag.SopInstanceUid, "UI", "1.2.3");
        var path = Path.Combine(_dir, "sr.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(path);
        var ex = Assert.Throws<DicomException>(() => DicomPixelData.From(DicomFile.Open(path)));
        Assert.Contains("not an image", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Basic Text SR", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_byte_and_garbage_files_are_rejected_clearly()
    {
        Assert.Contains("empty", Assert.Throws<DicomException>(() => DicomReader.Read([], false)).Message, StringComparison.Ordinal);
        var garbage = new byte[4096];
        new Random(5).NextBytes(garbage);
        garbage[0] = 0x55;
        Assert.Contains("not a DICOM file", Assert.Throws<DicomException>(() => DicomReader.Read(garbage, false)).Message, StringComparison.Ordinal);
    }
}
