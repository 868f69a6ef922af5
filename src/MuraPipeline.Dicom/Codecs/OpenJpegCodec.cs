using System.Runtime.InteropServices;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>
/// JPEG 2000 (Part 1) and HTJ2K (Part 15) code streams through OpenJPEG (Debian's libopenjp2-7, 2.5: it reads both),
/// loaded at run time as GDCM is, straight from memory and, when asked, at a reduced resolution: each reduction
/// halves both sides, and skipping the finest wavelet levels skips most of the decoding work. MURA_OPENJPEG overrides
/// the library's path.
/// </summary>
public static unsafe class OpenJpegCodec
{
    public const string DefaultLibrary = "libopenjp2.so.7";

    private const int CodecJ2k = 0;
    private const int CodecJp2 = 2;

    private static readonly Lazy<Api> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether the library can be loaded here.</summary>
    public static bool Available
    {
        get
        {
            try
            {
                _ = Loaded.Value;
                return true;
            }
            catch (DicomException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// The largest reduction (each one halves both sides) that leaves the long side of a
    /// <paramref name="width"/>×<paramref name="height"/> image at least <paramref name="minLongSide"/>, no more than
    /// the code stream's decomposition levels allow.
    /// </summary>
    public static int ReductionFor(int width, int height, int minLongSide, int levels)
    {
        var side = Math.Max(width, height);
        var r = 0;
        while (r < levels && (side + (1 << (r + 1)) - 1) >> (r + 1) >= minLongSide)
        {
            r++;
        }

        return r;
    }

    /// <summary>The number of wavelet decomposition levels the code stream's COD marker names, or 0 when it cannot be read.</summary>
    public static int DecompositionLevels(ReadOnlySpan<byte> stream)
    {
        var at = CodeStreamStart(stream);
        if (at < 0 || at + 4 > stream.Length)
        {
            return 0;
        }

        // Main header marker segments after SOC: find COD (FF52) before the first SOT (FF90).
        for (var i = at + 2; i + 4 <= stream.Length;)
        {
            if (stream[i] != 0xFF)
            {
                return 0;
            }

            var marker = stream[i + 1];
            var length = (stream[i + 2] << 8) | stream[i + 3];
            if (marker == 0x90 || length < 2)
            {
                return 0;
            }

            if (marker == 0x52 && i + 2 + 7 < stream.Length)
            {
                // Lcod(2) Scod(1) SGcod: progression(1) layers(2) mct(1) then SPcod: levels(1).
                return stream[i + 2 + 2 + 1 + 4];
            }

            i += 2 + length;
        }

        return 0;
    }

    /// <summary>Decodes <paramref name="stream"/> (a J2K code stream, or a JP2 file) at <paramref name="reduction"/>.</summary>
    public static J2kImage Decode(ReadOnlySpan<byte> stream, int reduction = 0)
    {
        var api = Loaded.Value;
        var format = stream.Length >= 12 && stream[4] == 0x6A && stream[5] == 0x50 && stream[6] == 0x20 && stream[7] == 0x20 ? CodecJp2 : CodecJ2k;
        fixed (byte* data = stream)
        {
            var source = new Source { Data = data, Length = stream.Length, Position = 0 };
            var codec = api.CreateDecompress(format);
            if (codec == IntPtr.Zero)
            {
                throw new DicomException("OpenJPEG could not make a decoder");
            }

            IntPtr s = IntPtr.Zero;
            IntPtr image = IntPtr.Zero;
            try
            {
                var parameters = stackalloc byte[ParametersSize];
                new Span<byte>(parameters, ParametersSize).Clear();
                api.SetDefaultDecoderParameters((IntPtr)parameters);
                if (api.SetupDecoder(codec, (IntPtr)parameters) == 0)
                {
                    throw new DicomException("OpenJPEG refused its decoder set-up");
                }

                _ = api.SetThreads(codec, 1);
                s = api.StreamCreate((nuint)Math.Min(stream.Length, 1 << 20), 1);
                api.StreamSetRead(s, (IntPtr)(delegate* unmanaged<byte*, nuint, Source*, nuint>)&Read);
                api.StreamSetSkip(s, (IntPtr)(delegate* unmanaged<long, Source*, long>)&Skip);
                api.StreamSetSeek(s, (IntPtr)(delegate* unmanaged<long, Source*, int>)&Seek);
                api.StreamSetUserData(s, (IntPtr)(&source), IntPtr.Zero);
                api.StreamSetUserDataLength(s, (ulong)stream.Length);
                if (api.ReadHeader(s, codec, &image) == 0 || image == IntPtr.Zero)
                {
                    throw new DicomException("OpenJPEG could not read the JPEG 2000 header (corrupt or not a code stream)");
                }

                if (reduction > 0 && api.SetDecodedResolutionFactor(codec, (uint)reduction) == 0)
                {
                    throw new DicomException($"OpenJPEG cannot decode this code stream {reduction} resolution levels down");
                }

                if (api.DecodeImage(codec, s, image) == 0 || api.EndDecompress(codec, s) == 0)
                {
                    throw new DicomException("OpenJPEG could not decode the JPEG 2000 code stream (corrupt or truncated)");
                }

                return Read((OpjImage*)image, reduction);
            }
            finally
            {
                if (image != IntPtr.Zero)
                {
                    api.ImageDestroy(image);
                }

                if (s != IntPtr.Zero)
                {
                    api.StreamDestroy(s);
                }

                api.DestroyCodec(codec);
            }
        }
    }

    private static J2kImage Read(OpjImage* image, int reduction)
    {
        var n = (int)image->NumComps;
        if (n is not (1 or 3) || image->Comps == null)
        {
            throw new DicomException($"the JPEG 2000 image has {n} components; 1 or 3 are read");
        }

        var first = image->Comps[0];
        var (w, h) = ((int)first.W, (int)first.H);
        if (w <= 0 || h <= 0 || (long)w * h * n > int.MaxValue / 4)
        {
            throw new DicomException($"the JPEG 2000 image decoded to {w}x{h}x{n}, which this reader does not accept");
        }

        for (var c = 0; c < n; c++)
        {
            var comp = image->Comps[c];
            if (comp.W != first.W || comp.H != first.H || comp.Data == null)
            {
                throw new DicomException("the JPEG 2000 image's components differ in size (subsampled components are not read)");
            }
        }

        var samples = new int[w * h * n];
        if (n == 1)
        {
            new ReadOnlySpan<int>(first.Data, w * h).CopyTo(samples);
        }
        else
        {
            for (var c = 0; c < n; c++)
            {
                var src = image->Comps[c].Data;
                for (int i = 0, o = c; i < w * h; i++, o += n)
                {
                    samples[o] = src[i];
                }
            }
        }

        return new J2kImage(w, h, n, (int)first.Prec, first.Sgnd != 0, reduction, samples);
    }

    /// <summary>Where the code stream's SOC marker is: 0 for a bare code stream, inside the jp2c box of a JP2 file, or -1.</summary>
    private static int CodeStreamStart(ReadOnlySpan<byte> s)
    {
        if (s.Length >= 2 && s[0] == 0xFF && s[1] == 0x4F)
        {
            return 0;
        }

        for (var i = 0; i + 1 < Math.Min(s.Length, 4096); i++)
        {
            if (s[i] == 0xFF && s[i + 1] == 0x4F && i + 3 < s.Length && s[i + 2] == 0xFF && s[i + 3] == 0x51)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Room for opj_dparameters_t (about 8.3 KB in 2.5: two 4 KB file names), with margin.</summary>
    private const int ParametersSize = 16 * 1024;

    private struct Source
    {
        public byte* Data;
        public long Length;
        public long Position;
    }

    [UnmanagedCallersOnly]
    private static nuint Read(byte* buffer, nuint count, Source* source)
    {
        var left = source->Length - source->Position;
        if (left <= 0)
        {
            return unchecked((nuint)(-1));
        }

        var n = (long)Math.Min((ulong)left, count);
        Buffer.MemoryCopy(source->Data + source->Position, buffer, (long)count, n);
        source->Position += n;
        return (nuint)n;
    }

    [UnmanagedCallersOnly]
    private static long Skip(long count, Source* source)
    {
        var target = Math.Clamp(source->Position + count, 0, source->Length);
        var moved = target - source->Position;
        source->Position = target;
        return moved == 0 && count != 0 ? -1 : moved;
    }

    [UnmanagedCallersOnly]
    private static int Seek(long position, Source* source)
    {
        if (position < 0 || position > source->Length)
        {
            return 0;
        }

        source->Position = position;
        return 1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpjImageComp
    {
        public uint Dx;
        public uint Dy;
        public uint W;
        public uint H;
        public uint X0;
        public uint Y0;
        public uint Prec;
        public uint Bpp;
        public uint Sgnd;
        public uint ResnoDecoded;
        public uint Factor;
        public int* Data;
        public ushort Alpha;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpjImage
    {
        public uint X0;
        public uint Y0;
        public uint X1;
        public uint Y1;
        public uint NumComps;
        public int ColorSpace;
        public OpjImageComp* Comps;
        public byte* IccProfileBuf;
        public uint IccProfileLen;
    }

    private static Api Load() =>
        new(NativeCodec.Load("OpenJPEG", "libopenjp2-7 (2.5 or later)", DefaultLibrary, "MURA_OPENJPEG", "JPEG 2000 and HTJ2K"));

    private sealed class Api(NativeCodec lib)
    {
        public readonly delegate* unmanaged<int, IntPtr> CreateDecompress = (delegate* unmanaged<int, IntPtr>)lib.Export("opj_create_decompress");
        public readonly delegate* unmanaged<IntPtr, void> SetDefaultDecoderParameters = (delegate* unmanaged<IntPtr, void>)lib.Export("opj_set_default_decoder_parameters");
        public readonly delegate* unmanaged<IntPtr, IntPtr, int> SetupDecoder = (delegate* unmanaged<IntPtr, IntPtr, int>)lib.Export("opj_setup_decoder");
        public readonly delegate* unmanaged<IntPtr, int, int> SetThreads = (delegate* unmanaged<IntPtr, int, int>)lib.Export("opj_codec_set_threads");
        public readonly delegate* unmanaged<nuint, int, IntPtr> StreamCreate = (delegate* unmanaged<nuint, int, IntPtr>)lib.Export("opj_stream_create");
        public readonly delegate* unmanaged<IntPtr, IntPtr, void> StreamSetRead = (delegate* unmanaged<IntPtr, IntPtr, void>)lib.Export("opj_stream_set_read_function");
        public readonly delegate* unmanaged<IntPtr, IntPtr, void> StreamSetSkip = (delegate* unmanaged<IntPtr, IntPtr, void>)lib.Export("opj_stream_set_skip_function");
        public readonly delegate* unmanaged<IntPtr, IntPtr, void> StreamSetSeek = (delegate* unmanaged<IntPtr, IntPtr, void>)lib.Export("opj_stream_set_seek_function");
        public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr, void> StreamSetUserData = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, void>)lib.Export("opj_stream_set_user_data");
        public readonly delegate* unmanaged<IntPtr, ulong, void> StreamSetUserDataLength = (delegate* unmanaged<IntPtr, ulong, void>)lib.Export("opj_stream_set_user_data_length");
        public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr*, int> ReadHeader = (delegate* unmanaged<IntPtr, IntPtr, IntPtr*, int>)lib.Export("opj_read_header");
        public readonly delegate* unmanaged<IntPtr, uint, int> SetDecodedResolutionFactor = (delegate* unmanaged<IntPtr, uint, int>)lib.Export("opj_set_decoded_resolution_factor");
        public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr, int> DecodeImage = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, int>)lib.Export("opj_decode");
        public readonly delegate* unmanaged<IntPtr, IntPtr, int> EndDecompress = (delegate* unmanaged<IntPtr, IntPtr, int>)lib.Export("opj_end_decompress");
        public readonly delegate* unmanaged<IntPtr, void> StreamDestroy = (delegate* unmanaged<IntPtr, void>)lib.Export("opj_stream_destroy");
        public readonly delegate* unmanaged<IntPtr, void> DestroyCodec = (delegate* unmanaged<IntPtr, void>)lib.Export("opj_destroy_codec");
        public readonly delegate* unmanaged<IntPtr, void> ImageDestroy = (delegate* unmanaged<IntPtr, void>)lib.Export("opj_image_destroy");
    }
}
