using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Data;
using MuraPipeline.Model;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary><c>mura models add|list|activate|check</c>: the model registry, keyed by each file's SHA-256.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var cmd = new Command("models", "The model registry: versions keyed by SHA-256; inference follows the active one without a restart.");
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Activate());
        cmd.Subcommands.Add(Check());
        return cmd;
    }

    private static Option<string?> DbOption() =>
        new("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };

    private static Command Add()
    {
        var file = new Argument<FileInfo>("file") { Description = "The ONNX model file." };
        var name = new Option<string?>("--name") { Description = "A name to show beside the SHA-256 (default: the file name)." };
        var activate = new Option<bool>("--activate") { Description = "Make it the active model at once." };
        var db = DbOption();
        var cmd = new Command("add", "Check a model (contract, and ONNX Runtime against the training script's reference outputs when FILE.check.npz is beside it) and register it.") { file, name, activate, db };
        cmd.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!.FullName;
            var bytes = OnnxModel.ReadFile(path);
            using var model = OnnxModel.Load(bytes, path);
            if (!PrintCheck(model, path))
            {
                return ExitCodes.StartFailed;
            }

            await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(parse.GetValue(db)), ct);
            await using var scope = services.CreateAsyncScope();
            var registry = scope.ServiceProvider.GetRequiredService<ModelRegistry>();
            var added = await model.RegisterAsync(registry, bytes, ct, parse.GetValue(name));
            AnsiConsole.MarkupLineInterpolated($"{(added ? "registered" : "already registered")}: {model.Sha256} ({model.Contract} contract)");
            if (parse.GetValue(activate))
            {
                await registry.ActivateAsync(model.Sha256, AuditActor.CommandLine, ct);
                AnsiConsole.MarkupLineInterpolated($"active: {model.Sha256}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command List()
    {
        var db = DbOption();
        var cmd = new Command("list", "Registered model versions, the active one marked.") { db };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(parse.GetValue(db)), ct);
            await using var scope = services.CreateAsyncScope();
            var rows = await scope.ServiceProvider.GetRequiredService<ModelRegistry>().ListAsync(ct);
            var table = new Table().AddColumn("active").AddColumn("sha256 (first 16)").AddColumn("name").AddColumn("contract").AddColumn("added (UTC)").AddColumn("thresholds");
            foreach (var m in rows)
            {
                table.AddRow(m.Active ? "*" : string.Empty, m.Sha256[..16], Markup.Escape(m.Name), m.Contract, m.AddedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), ModelRegistry.FormatThresholds(m.Thresholds));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Activate()
    {
        var sha = new Argument<string>("sha256") { Description = "The version's SHA-256, or a unique prefix of it (6 digits or more)." };
        var db = DbOption();
        var cmd = new Command("activate", "Make a registered version the active one; running inference workers switch at their next batch.") { sha, db };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(parse.GetValue(db)), ct);
            await using var scope = services.CreateAsyncScope();
            var registry = scope.ServiceProvider.GetRequiredService<ModelRegistry>();
            var model = await registry.ResolveAsync(parse.GetValue(sha)!, ct);
            await registry.ActivateAsync(model.Sha256, AuditActor.CommandLine, ct);
            AnsiConsole.MarkupLineInterpolated($"active: {model.Sha256} ({model.Name})");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Check()
    {
        var file = new Argument<FileInfo>("file") { Description = "The ONNX model file." };
        var cmd = new Command("check", "Load a model in ONNX Runtime, check the contract, and compare with PyTorch's reference outputs (FILE.check.npz, written by the training script).") { file };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            using var model = OnnxModel.Load(path);
            return PrintCheck(model, path) ? ExitCodes.Ok : ExitCodes.StartFailed;
        });
        return cmd;
    }

    /// <summary>Prints the model's contract and, when reference outputs are beside it, how far ONNX Runtime is from them.</summary>
    private static bool PrintCheck(OnnxModel model, string path)
    {
        Console.WriteLine($"{path}: SHA-256 {model.Sha256}, {model.Contract} contract, input [N,{model.Channels},{model.Height},{model.Width}]");
        var check = ContractCheck.Run(model, path + ".check.npz");
        if (check is null)
        {
            Console.WriteLine("no reference outputs beside it (.check.npz): ONNX Runtime was not compared with PyTorch");
            return true;
        }

        foreach (var (output, diff) in check.Differences)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {output}: largest difference from PyTorch {diff:0.###e+0}"));
        }

        if (!check.Passed)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] ONNX Runtime disagrees with PyTorch beyond {ContractCheck.Tolerance} ({check.Failure})");
        }

        return check.Passed;
    }
}
