using MuraPipeline.Dicom;

namespace MuraPipeline.Imaging;

/// <summary>How stored values become display values: the DICOM grayscale pipeline's parameters for one image.</summary>
public sealed record GrayscaleTransform(
    double RescaleSlope,
    double RescaleIntercept,
    double? WindowCenter,
    double? WindowWidth,
    bool Invert,
    string VoiFunction = "LINEAR")
{
    /// <summary>Reads the modality LUT, first VOI window and photometric interpretation from a data set.</summary>
    public static GrayscaleTransform From(DicomDataset ds, string photometric)
    {
        var slope = ds.GetNumber(DicomTag.RescaleSlope) ?? 1.0;
        if (slope == 0 || double.IsNaN(slope))
        {
            slope = 1.0;
        }

        var center = ds.GetNumber(DicomTag.WindowCenter);
        var width = ds.GetNumber(DicomTag.WindowWidth);
        if (width is <= 0 || center is null || width is null)
        {
            center = null;
            width = null;
        }

        var function = (ds.GetString(DicomTag.VoiLutFunction) ?? "LINEAR").ToUpperInvariant();
        var invert = photometric == "MONOCHROME1";
        if (string.Equals(ds.GetString(DicomTag.PresentationLutShape), "INVERSE", StringComparison.Ordinal))
        {
            invert = !invert;
        }

        return new GrayscaleTransform(slope, ds.GetNumber(DicomTag.RescaleIntercept) ?? 0.0, center, width, invert, function);
    }
}
