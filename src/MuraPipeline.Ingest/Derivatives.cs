using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Ingest;

/// <summary>Makes a view's model-ready 8-bit derivative from its file.</summary>
public static class Derivatives
{
    /// <summary>The derivative, or an exception whose message an operator can act on.</summary>
    public static GrayImage Make(InputFile file)
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
            return w == image.Width && h == image.Height ? image : Resampler.ResizeGray(image, w, h);
        }

        return PixelPipeline.Derive(DicomFile.Open(file.Path));
    }
}
