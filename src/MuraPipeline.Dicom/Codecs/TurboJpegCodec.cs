using System.Runtime.InteropServices;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>
/// 8-bit JPEG (baseline and extended, DCT-based: 1.2.840.10008.1.2.4.50 and .51 at 8 bits) through libjpeg-turbo's
/// TurboJPEG API (Debian's <c>libturbojpeg0</c>, loaded at run time; <c>MURA_TURBOJPEG</c> moves it), from memory. Its
/// IDCT can scale by n/8 while it decodes (T.81's blocks inverse-transformed at 1, 2… 8 samples a side), so a view
/// whose derivative needs a quarter of its resolution does a quarter of the work of the full decode and never holds
/// the full image. Full-size decodes use the accurate integer IDCT, the one dcmtk and GDCM use.
/// </summary>
public static unsafe class TurboJpegCodec
{
    public const string DefaultLibrary = "libturbojpeg.so.0";

    private const int PixelFormatGray = 6; // TJPF_GRAY
    private const int FlagAccurateDct = 4096; // TJFLAG_ACCURATEDCT
    private const int FlagNoRealloc = 1024; // TJFLAG_NOREALLOC

    private static readonly Lazy<Api> Native = new(Load);

    /// <summary>
    /// The samples of one 8-bit greyscale JPEG, scaled down by the DCT to the smallest of the library's factors (n/8)
    /// whose long side is still at least <paramref name="minLongSide"/> (0: full size), with the size decoded.
    /// </summary>
    public static byte[] DecodeGray(ReadOnlySpan<byte> jpeg, int minLongSide, out int width, out int height)
    {
        var api = Native.Value;
        var handle = api.InitDecompress();
        if (handle == IntPtr.Zero)
        {
            throw new DicomException("libjpeg-turbo could not start a decoder");
        }

        try
        {
            fixed (byte* data = jpeg)
            {
                int fullWidth, fullHeight, subsampling, colorspace;
                if (api.DecompressHeader3(handle, data, (nuint)jpeg.Length, &fullWidth, &fullHeight, &subsampling, &colorspace) != 0)
                {
                    throw new DicomException($"JPEG frame is unreadable: {Error(api, handle)}");
                }

                (width, height) = Scaled(api, fullWidth, fullHeight, minLongSide);
                var samples = new byte[(long)width * height <= Array.MaxLength ? width * height : throw new DicomException($"JPEG frame {width}x{height} is too large")];
                fixed (byte* output = samples)
                {
                    if (api.Decompress2(handle, data, (nuint)jpeg.Length, output, width, width, height, PixelFormatGray, FlagAccurateDct | FlagNoRealloc) != 0)
                    {
                        throw new DicomException($"JPEG frame is unreadable: {Error(api, handle)}");
                    }
                }

                return samples;
            }
        }
        finally
        {
            api.Destroy(handle);
        }
    }

    /// <summary>
    /// The size a <paramref name="fullWidth"/>×<paramref name="fullHeight"/> image decodes to at the smallest scaling
    /// factor the library offers (at most 1) whose long side is still at least <paramref name="minLongSide"/>.
    /// </summary>
    private static (int Width, int Height) Scaled(Api api, int fullWidth, int fullHeight, int minLongSide)
    {
        var best = (Width: fullWidth, Height: fullHeight);
        if (minLongSide <= 0)
        {
            return best;
        }

        int count;
        var factors = api.GetScalingFactors(&count);
        for (var i = 0; factors is not null && i < count; i++)
        {
            var (num, denom) = (factors[i * 2], factors[(i * 2) + 1]);
            if (num <= 0 || denom <= 0 || num > denom)
            {
                continue;
            }

            // TJSCALED: each side rounded up.
            var w = (int)(((long)fullWidth * num + denom - 1) / denom);
            var h = (int)(((long)fullHeight * num + denom - 1) / denom);
            if (Math.Max(w, h) >= minLongSide && Math.Max(w, h) < Math.Max(best.Width, best.Height))
            {
                best = (w, h);
            }
        }

        return best;
    }

    private static string Error(Api api, IntPtr handle) =>
        Marshal.PtrToStringUTF8(api.GetErrorStr2(handle)) is { Length: > 0 } message ? message : "libjpeg-turbo gave no reason";

    private static Api Load() =>
        new(NativeCodec.Load("libjpeg-turbo's TurboJPEG", "libturbojpeg0 (2.1 or later)", DefaultLibrary, "MURA_TURBOJPEG", "8-bit JPEG"));

    private sealed class Api(NativeCodec lib)
    {
        public readonly delegate* unmanaged<IntPtr> InitDecompress = (delegate* unmanaged<IntPtr>)lib.Export("tjInitDecompress");
        public readonly delegate* unmanaged<IntPtr, byte*, nuint, int*, int*, int*, int*, int> DecompressHeader3 = (delegate* unmanaged<IntPtr, byte*, nuint, int*, int*, int*, int*, int>)lib.Export("tjDecompressHeader3");
        public readonly delegate* unmanaged<IntPtr, byte*, nuint, byte*, int, int, int, int, int, int> Decompress2 = (delegate* unmanaged<IntPtr, byte*, nuint, byte*, int, int, int, int, int, int>)lib.Export("tjDecompress2");
        public readonly delegate* unmanaged<int*, int*> GetScalingFactors = (delegate* unmanaged<int*, int*>)lib.Export("tjGetScalingFactors");
        public readonly delegate* unmanaged<IntPtr, IntPtr> GetErrorStr2 = (delegate* unmanaged<IntPtr, IntPtr>)lib.Export("tjGetErrorStr2");
        public readonly delegate* unmanaged<IntPtr, int> Destroy = (delegate* unmanaged<IntPtr, int>)lib.Export("tjDestroy");
    }
}
