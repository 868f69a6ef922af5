using MuraPipeline.Phantoms;
using MuraPipeline.Tests;

namespace MuraPipeline.Dicom.Tests;

/// <summary>
/// A 12-bit phantom DX, transcoded by peers nobody here wrote (dcmtk's dcmconv, dcmcjpeg, dcmcrle and GDCM's
/// gdcmconv) into each syntax we read, decodes to exactly the stored values we wrote.
/// </summary>
public sealed class TransferSyntaxTests : PhantomScratch
{
    private readonly string _source;

    public TransferSyntaxTests()
        : base(seed: 23, minSide: 300, maxSide: 360)
    {
        var ds = PhantomWriter.ToDataset(Study, Study.Views[0]);
        _source = Path.Combine(Dir, "source.dcm");
        new DicomFile(DicomWriter.CreateMeta(ds), ds).Save(_source);
    }

    private string Transcode(string name, string program, params string[] options)
    {
        var target = Path.Combine(Dir, name + ".dcm");
        var (code, _, stderr) = Peers.Run(program, [.. options, _source, target]);
        Assert.True(code == 0, $"{program} {string.Join(' ', options)}: {stderr}");
        return target;
    }

    private int[] Decode(string path, string expectedSyntax)
    {
        var file = DicomFile.Open(path);
        Assert.Equal(expectedSyntax, file.TransferSyntaxUid);
        Assert.Equal(Study.PatientName, file.Dataset.GetString(DicomTag.PatientName));
        return DicomPixelData.From(file).DecodeFrame().Values;
    }

    [Theory]
    [InlineData("implicit", "dcmconv", "+ti", DicomUids.ImplicitVrLittleEndian)]
    [InlineData("bigendian", "dcmconv", "+tb", DicomUids.ExplicitVrBigEndian)]
    [InlineData("deflated", "dcmconv", "+td", DicomUids.DeflatedExplicitVrLittleEndian)]
    [InlineData("rle", "dcmcrle", "+un", DicomUids.RleLossless)]
    [InlineData("sv1", "dcmcjpeg", "+e1", DicomUids.JpegLosslessSv1)]
    [InlineData("jpegls", "gdcmconv", "--jpegls", DicomUids.JpegLsLossless)]
    [InlineData("j2k", "gdcmconv", "--j2k", DicomUids.Jpeg2000Lossless)]
    public void Lossless_syntaxes_decode_to_the_stored_values(string name, string program, string option, string syntax)
    {
        var path = program == "gdcmconv"
            ? Transcode(name, program, option, "--lossless")
            : Transcode(name, program, option);
        Assert.Equal(Study.Views[0].Frame.Values, Decode(path, syntax));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Jpeg_lossless_decodes_every_selection_value(int selectionValue)
    {
        var path = Transcode($"sv{selectionValue}", "dcmcjpeg", "+el", "+sv", selectionValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Study.Views[0].Frame.Values, Decode(path, DicomUids.JpegLossless));
    }

    [Fact]
    public void Jpeg_lossless_point_transform_restores_the_shifted_values()
    {
        var path = Transcode("pt2", "dcmcjpeg", "+el", "+sv", "1", "+pt", "2");
        var expected = Study.Views[0].Frame.Values.Select(v => (v >> 2) << 2).ToArray();
        Assert.Equal(expected, Decode(path, DicomUids.JpegLossless));
    }
}
