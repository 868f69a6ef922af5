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
        cmd.Subcommands.Add(Echo());
        cmd.Subcommands.Add(Send());
        return cmd;
    }

    private static (Argument<string> Host, Argument<int> Port, Option<string> Aec, Option<string> Aet) PeerArguments() =>
        (new Argument<string>("HOST") { Description = "The peer's host name or address." },
         new Argument<int>("PORT") { Description = "The peer's DICOM port." },
         new Option<string>("--aec") { Description = "The called AE title (the peer's).", DefaultValueFactory = _ => "ANY-SCP" },
         new Option<string>("--aet") { Description = "Our calling AE title.", DefaultValueFactory = _ => "MURA" });

    private static Command Echo()
    {
        var (host, port, aec, aet) = PeerArguments();
        var cmd = new Command("echo", "Verify a DICOM peer with C-ECHO.") { host, port, aec, aet };
        cmd.SetAction(async (parse, ct) =>
        {
            try
            {
                var status = await new Dicom.Network.DicomClient(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(aet)!, parse.GetValue(aec)!).EchoAsync(ct);
                Console.WriteLine($"C-ECHO status 0x{status:X4}");
                return status == 0 ? ExitCodes.Ok : ExitCodes.SomeInputFailed;
            }
            catch (Exception ex) when (ex is Dicom.Network.DicomProtocolException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                Console.Error.WriteLine($"error: C-ECHO failed: {ex.Message}");
                return ExitCodes.StartFailed;
            }
        });
        return cmd;
    }

    private static Command Send()
    {
        var (host, port, aec, aet) = PeerArguments();
        var paths = new Argument<string[]>("FILES") { Description = "DICOM files or folders (searched recursively).", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("send", "Send DICOM files as they are (C-STORE, one association).") { host, port, paths, aec, aet };
        cmd.SetAction(async (parse, ct) =>
        {
            var files = parse.GetValue(paths)!.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal).ToList();
            try
            {
                var outcomes = await new Dicom.Network.DicomClient(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(aet)!, parse.GetValue(aec)!).StoreAsync(files, ct);
                foreach (var o in outcomes.Where(o => !o.Succeeded))
                {
                    Console.Error.WriteLine($"{o.Path}: {(o.Status is { } s ? $"status 0x{s:X4} " : string.Empty)}{o.Error}");
                }

                Console.WriteLine($"sent {outcomes.Count(o => o.Succeeded)} of {files.Count} files");
                return outcomes.All(o => o.Succeeded) ? ExitCodes.Ok : ExitCodes.SomeInputFailed;
            }
            catch (Exception ex) when (ex is Dicom.Network.DicomProtocolException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                Console.Error.WriteLine($"error: C-STORE failed: {ex.Message}");
                return ExitCodes.StartFailed;
            }
        });
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
