using System.CommandLine;
using MuraPipeline.Dicom;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura dicom dump|decode|echo|send</c>: look inside files and talk to DICOM peers.</summary>
public static class DicomCommand
{
    public static Command Create()
    {
        var cmd = new Command("dicom", "Inspect DICOM files and talk to DICOM peers.");
        cmd.Subcommands.Add(Dump());
        cmd.Subcommands.Add(Decode());
        return cmd;
    }

    private static Command Dump()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A DICOM Part-10 file (or a bare data set)." };
        var cmd = new Command("dump", "Print the data set as dcmtk's dcmdump lays it out.") { file };
        cmd.SetAction(parse => Guard(() =>
        {
            Console.Write(DicomDump.Format(DicomFile.Open(parse.GetValue(file)!.FullName)));
        }));
        return cmd;
    }

    private static Command Decode()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A DICOM image file." };
        var output = new Option<FileInfo>("--out") { Description = "The .npy file to write.", Required = true };
        var frame = new Option<int?>("--frame") { Description = "Write only this frame (0-based)." };
        var cmd = new Command("decode", "Write the stored pixel values as a NumPy array, with the dtype and shape pydicom's pixel_array gives.") { file, output, frame };
        cmd.SetAction(parse => Guard(() =>
        {
            var dicom = DicomFile.Open(parse.GetValue(file)!.FullName);
            var target = parse.GetValue(output)!.FullName;
            var temp = target + ".part";
            using (var fs = File.Create(temp))
            {
                NumpyExport.Write(fs, dicom, parse.GetValue(frame));
            }

            File.Move(temp, target, overwrite: true);
        }));
        return cmd;
    }

    private static int Guard(Action action)
    {
        try
        {
            action();
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is DicomException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.StartFailed;
        }
    }
}
