using System.Runtime.InteropServices;

namespace MuraPipeline.Data;

/// <summary>
/// Files that hold data or keys are readable by the account that runs the product only (0600, folders 0700): the
/// process mask is set once at start, so SQLite's journal, received instances, derivatives, reports and exports are
/// made that way, and the files that matter most (the database, the key ring's key) are also made so explicitly.
/// </summary>
public static partial class PrivateFiles
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Sets the process's file-creation mask to 077 (POSIX; nothing elsewhere).</summary>
    public static void RestrictNewFiles()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = Umask(0x3F);
        }
    }

    /// <summary>Creates <paramref name="path"/> empty with mode 0600 when it does not exist yet; an existing file is left as it is.</summary>
    public static void Touch(string path)
    {
        if (File.Exists(path) || Path.GetDirectoryName(Path.GetFullPath(path)) is not { } dir || !Directory.Exists(dir))
        {
            return;
        }

        try
        {
            using var _ = Create(path, FileMode.CreateNew);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process made it first.
        }
    }

    /// <summary>Opens a new file for writing with mode 0600 from the start (never world-readable for a moment).</summary>
    public static FileStream Create(string path, FileMode mode = FileMode.Create)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Mode;
        }

        return new FileStream(path, options);
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
