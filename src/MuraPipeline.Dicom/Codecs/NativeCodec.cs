using System.Runtime.InteropServices;

namespace MuraPipeline.Dicom.Codecs;

/// <summary>
/// A codec library loaded at run time from Debian's package (OpenJPEG, libjpeg-turbo): from the path an environment
/// variable names, else its soname; a missing library or function is a DicomException naming the package to install,
/// so the view fails with a reason an operator can act on.
/// </summary>
internal sealed class NativeCodec(string codec, string package, IntPtr handle)
{
    /// <summary>Loads <paramref name="soname"/> (or what <paramref name="variable"/> names) for decoding <paramref name="what"/>.</summary>
    public static NativeCodec Load(string codec, string package, string soname, string variable, string what)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } p ? p : soname;
        return NativeLibrary.TryLoad(path, out var handle)
            ? new NativeCodec(codec, package, handle)
            : throw new DicomException($"decoding {what} needs {codec}, which is not installed ({path} could not be loaded): install the Debian package {package}, or set {variable}");
    }

    /// <summary>The address of the library's function <paramref name="name"/>.</summary>
    public IntPtr Export(string name) =>
        NativeLibrary.TryGetExport(handle, name, out var f) ? f : throw new DicomException($"{codec} at hand lacks {name}; install a newer {package}");
}
