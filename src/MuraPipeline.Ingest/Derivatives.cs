using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>Makes a view's model-ready 8-bit derivative from its file.</summary>
public static class Derivatives
{
    /// <summary>The derivative, encoded for storage with its size and the view's own size, or an exception whose message an operator can act on.</summary>
    public static Data.Derivative MakeStored(InputFile file)
    {
        var (image, sourceWidth, sourceHeight) = Make(file);
        return new Data.Derivative(Png.Encode(image), image.Width, image.Height, sourceWidth, sourceHeight);
    }

    /// <summary>The derivative and the size of the view's own pixel grid, or an exception whose message an operator can act on.</summary>
    public static (GrayImage Image, int SourceWidth, int SourceHeight) Make(InputFile file)
    {
        if (file.Source == "mura")
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file.Path);
            }
            catch (IOException ex)
            {
                throw new PngException($"cannot read file: {ex.Message}", ex);
            }

            var image = Png.DecodeGray(bytes);
            var (w, h) = PixelPipeline.Fit(image.Width, image.Height, PixelPipeline.DefaultMaxSide);
            return (w == image.Width && h == image.Height ? image : Resampler.ResizeGray(image, w, h), image.Width, image.Height);
        }

        using var lease = DicomFile.OpenPooled(file.Path);
        var dicom = lease.File;
        var derivative = PixelPipeline.Derive(dicom);
        return (derivative, dicom.Dataset.GetInt(DicomTag.Columns) ?? derivative.Width, dicom.Dataset.GetInt(DicomTag.Rows) ?? derivative.Height);
    }
}
