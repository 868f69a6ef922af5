using System.Reflection;
using System.Runtime.InteropServices;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>
/// JPEG baseline/extended, JPEG-LS and JPEG 2000 through GDCM's C# binding (Debian's libgdcm-cil), loaded at run time
/// so that building never needs it. MURA_GDCM_DIR overrides the folder it is loaded from.
/// </summary>
public static class GdcmCodec
{
    public const string DefaultDirectory = "/usr/lib/cli/gdcm-sharp-3.0";
    private static readonly Lazy<Binding> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    // GDCM's readers share global state; one decode at a time.
    private static readonly Lock Gate = new();

    public static string Directory => Environment.GetEnvironmentVariable("MURA_GDCM_DIR") is { Length: > 0 } d ? d : DefaultDirectory;

    /// <summary>
    /// Decodes one frame: <paramref name="frameFile"/> is a Part-10 file holding just that frame, encapsulated.
    /// Returns native little-endian bytes and whether GDCM left the samples planar.
    /// </summary>
    public static byte[] DecodeFile(string frameFile, out bool planar)
    {
        var b = Loaded.Value;
        lock (Gate)
        {
            var reader = Activator.CreateInstance(b.ImageReader)!;
            try
            {
                b.SetFileName.Invoke(reader, [frameFile]);
                if (!(bool)b.Read.Invoke(reader, null)!)
                {
                    throw new DicomException("GDCM could not read the compressed frame (its codec rejected the data)");
                }

                var image = b.GetImage.Invoke(reader, null)!;
                var length = (uint)b.GetBufferLength.Invoke(image, null)!;
                var buffer = new byte[length];
                if (!(bool)b.GetBuffer.Invoke(image, [buffer])!)
                {
                    throw new DicomException("GDCM could not decode the compressed frame (corrupt or unsupported code stream)");
                }

                planar = Convert.ToInt32(b.GetPlanarConfiguration.Invoke(image, null), System.Globalization.CultureInfo.InvariantCulture) == 1;
                return buffer;
            }
            catch (TargetInvocationException ex)
            {
                throw new DicomException($"GDCM failed: {ex.InnerException?.Message ?? ex.Message}", ex);
            }
            finally
            {
                (reader as IDisposable)?.Dispose();
            }
        }
    }

    private static Binding Load()
    {
        var dir = Directory;
        var path = Path.Combine(dir, "gdcm-sharp.dll");
        if (!File.Exists(path))
        {
            throw new DicomException($"decoding this transfer syntax needs GDCM's .NET binding, which is not installed ({path} is missing): install the Debian package libgdcm-cil (apt-get install libgdcm-cil), or set MURA_GDCM_DIR");
        }

        try
        {
            var asm = System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
            var handles = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
            NativeLibrary.SetDllImportResolver(asm, (name, _, _) =>
            {
                lock (handles)
                {
                    if (!handles.TryGetValue(name, out var h))
                    {
                        var file = Path.Combine(dir, name.StartsWith("lib", StringComparison.Ordinal) ? name : $"lib{name}.so");
                        h = NativeLibrary.TryLoad(file, out var found) ? found : IntPtr.Zero;
                        handles[name] = h;
                    }

                    return h;
                }
            });
            return new Binding(asm);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or TypeLoadException or MissingMethodException or DllNotFoundException)
        {
            throw new DicomException($"GDCM's .NET binding at {path} could not be loaded ({ex.Message}); reinstall libgdcm-cil", ex);
        }
    }

    private sealed class Binding
    {
        public Binding(Assembly asm)
        {
            ImageReader = asm.GetType("gdcm.ImageReader", throwOnError: true)!;
            var image = asm.GetType("gdcm.Image", throwOnError: true)!;
            SetFileName = ImageReader.GetMethod("SetFileName", [typeof(string)]) ?? throw new MissingMethodException("gdcm.ImageReader", "SetFileName");
            Read = ImageReader.GetMethod("Read", Type.EmptyTypes) ?? throw new MissingMethodException("gdcm.ImageReader", "Read");
            GetImage = ImageReader.GetMethod("GetImage", Type.EmptyTypes) ?? throw new MissingMethodException("gdcm.ImageReader", "GetImage");
            GetBufferLength = image.GetMethod("GetBufferLength", Type.EmptyTypes) ?? throw new MissingMethodException("gdcm.Image", "GetBufferLength");
            GetBuffer = image.GetMethod("GetBuffer", [typeof(byte[])]) ?? throw new MissingMethodException("gdcm.Image", "GetBuffer");
            GetPlanarConfiguration = image.GetMethod("GetPlanarConfiguration", Type.EmptyTypes) ?? throw new MissingMethodException("gdcm.Image", "GetPlanarConfiguration");
        }

        public Type ImageReader { get; }

        public MethodInfo SetFileName { get; }

        public MethodInfo Read { get; }

        public MethodInfo GetImage { get; }

        public MethodInfo GetBufferLength { get; }

        public MethodInfo GetBuffer { get; }

        public MethodInfo GetPlanarConfiguration { get; }
    }
}
