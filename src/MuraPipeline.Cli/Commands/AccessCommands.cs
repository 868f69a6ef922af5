using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using MuraPipeline.Api.Access;
using MuraPipeline.Data;
using Spectre.Console;

namespace MuraPipeline.Cli.Commands;

/// <summary>
/// <c>mura users add|list|disable|passwd</c> and <c>mura keys add|list|revoke</c>: who may use the console and the API.
/// Each change is audited as the account that ran the command.
/// </summary>
public static class AccessCommands
{
    public static Command Users()
    {
        var cmd = new Command("users", "Console users: a name, a role (reader, operator, admin) and a password kept only as a salted, slow hash.");
        var name = () => new Argument<string>("name") { Description = "The user name (letters, digits, '.', '_', '-', '@')." };
        var role = () => new Option<string>("--role") { Description = "reader, operator or admin.", Required = true };

        var addName = name();
        var addRole = role();
        var addDb = DbOption();
        var add = new Command("add", "Add a user. The password is read from standard input when it is not a terminal, else asked for twice.") { addName, addRole, addDb };
        add.SetAction((parse, ct) => Guarded(parse.GetValue(addDb), ct, async store =>
        {
            var user = await store.AddUserAsync(parse.GetValue(addName)!, AccessRoles.Parse(parse.GetValue(addRole)!), ReadPassword(), AuditActor.CommandLine, ct);
            AnsiConsole.MarkupLineInterpolated($"added user {user.Name} ({user.Role.Name()})");
        }));

        var listDb = DbOption();
        var list = new Command("list", "The users, their roles and whether they are disabled.") { listDb };
        list.SetAction((parse, ct) => Guarded(parse.GetValue(listDb), ct, async store =>
        {
            var table = new Table().AddColumn("name").AddColumn("role").AddColumn("state").AddColumn("created (UTC)").AddColumn("changed (UTC)");
            foreach (var u in await store.ListUsersAsync(ct))
            {
                table.AddRow(Markup.Escape(u.Name), u.Role.Name(), u.Disabled ? "disabled" : "active", Utc(u.CreatedAt), Utc(u.ChangedAt));
            }

            AnsiConsole.Write(table);
        }));

        var disableName = name();
        var disableDb = DbOption();
        var disable = new Command("disable", "Disable a user: they cannot sign in, and their open sessions end at once.") { disableName, disableDb };
        disable.SetAction((parse, ct) => Guarded(parse.GetValue(disableDb), ct, async store =>
        {
            await store.DisableUserAsync(parse.GetValue(disableName)!, AuditActor.CommandLine, ct);
            AnsiConsole.MarkupLineInterpolated($"disabled user {parse.GetValue(disableName)}");
        }));

        var passwdName = name();
        var passwdDb = DbOption();
        var passwd = new Command("passwd", "Set a user's password (and enable them); their open sessions end.") { passwdName, passwdDb };
        passwd.SetAction((parse, ct) => Guarded(parse.GetValue(passwdDb), ct, async store =>
        {
            await store.SetPasswordAsync(parse.GetValue(passwdName)!, ReadPassword(), AuditActor.CommandLine, ct);
            AnsiConsole.MarkupLineInterpolated($"password set for {parse.GetValue(passwdName)}");
        }));

        cmd.Subcommands.Add(add);
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(disable);
        cmd.Subcommands.Add(passwd);
        return cmd;
    }

    public static Command Keys()
    {
        var cmd = new Command("keys", "API keys for machine clients (sent as `Authorization: Bearer KEY`); a key is shown once and stored hashed.");

        var addName = new Argument<string>("name") { Description = "What the key is for (letters, digits, '.', '_', '-', '@')." };
        var addRole = new Option<string>("--role") { Description = "reader, operator or admin.", Required = true };
        var addDb = DbOption();
        var add = new Command("add", "Make a key and print it, once.") { addName, addRole, addDb };
        add.SetAction((parse, ct) => Guarded(parse.GetValue(addDb), ct, async store =>
        {
            var (row, key) = await store.AddKeyAsync(parse.GetValue(addName)!, AccessRoles.Parse(parse.GetValue(addRole)!), AuditActor.CommandLine, ct);
            Console.Error.WriteLine($"key {row.Name} ({row.Role.Name()}); it is not shown again:");
            Console.Out.WriteLine(key);
        }));

        var listDb = DbOption();
        var list = new Command("list", "The keys: name, role, first characters, state.") { listDb };
        list.SetAction((parse, ct) => Guarded(parse.GetValue(listDb), ct, async store =>
        {
            var table = new Table().AddColumn("name").AddColumn("role").AddColumn("starts with").AddColumn("created (UTC)").AddColumn("state");
            foreach (var k in await store.ListKeysAsync(ct))
            {
                table.AddRow(Markup.Escape(k.Name), k.Role.Name(), Markup.Escape(k.Prefix + "…"), Utc(k.CreatedAt), k.RevokedAt is { } at ? $"revoked {Utc(at)}" : "live");
            }

            AnsiConsole.Write(table);
        }));

        var revokeName = new Argument<string>("name") { Description = "The key's name." };
        var revokeDb = DbOption();
        var revoke = new Command("revoke", "Revoke a key: requests with it are refused at once.") { revokeName, revokeDb };
        revoke.SetAction((parse, ct) => Guarded(parse.GetValue(revokeDb), ct, async store =>
        {
            await store.RevokeKeyAsync(parse.GetValue(revokeName)!, AuditActor.CommandLine, ct);
            AnsiConsole.MarkupLineInterpolated($"revoked key {parse.GetValue(revokeName)}");
        }));

        cmd.Subcommands.Add(add);
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(revoke);
        return cmd;
    }

    private static Option<string?> DbOption() =>
        new("--db") { Description = "A SQLite file or a PostgreSQL connection string (default: ConnectionStrings__Postgres, else mura.db here)." };

    /// <summary>A password: the first line of standard input when it is redirected, else typed twice without echo.</summary>
    private static string ReadPassword()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine() ?? throw new AccessException("no password on standard input");
        }

        var first = AnsiConsole.Prompt(new TextPrompt<string>("password:").Secret());
        var second = AnsiConsole.Prompt(new TextPrompt<string>("again:").Secret());
        return first == second ? first : throw new AccessException("the two passwords differ");
    }

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static async Task<int> Guarded(string? db, CancellationToken ct, Func<AccessStore, Task> work)
    {
        await using var services = await ServiceHost.OpenAdminAsync(AdminDatabase.Resolve(db), ct, (s, _) => s.AddOptions().AddScoped<AccessStore>());
        await using var scope = services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<AccessStore>());
        return ExitCodes.Ok;
    }
}
