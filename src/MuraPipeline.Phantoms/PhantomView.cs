using MuraPipeline.Dicom;
using MuraPipeline.Imaging;

namespace MuraPipeline.Phantoms;

public sealed record PhantomView(
    int Index,
    string SopInstanceUid,
    string ViewPosition,
    StoredFrame Frame,
    bool Monochrome1,
    double RescaleSlope,
    double RescaleIntercept,
    double? WindowCenter,
    double? WindowWidth,
    double PixelSpacingMm,
    LesionBox? Lesion)
{
    public GrayscaleTransform Transform => new(RescaleSlope, RescaleIntercept, WindowCenter, WindowWidth, Monochrome1);
}
