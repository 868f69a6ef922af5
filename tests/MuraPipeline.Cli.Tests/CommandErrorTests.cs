using MuraPipeline.Tests;

namespace MuraPipeline.Cli.Tests;

/// <summary>
/// A failure the user can act on ends every command the same way, through the one root handler: one "error:" line
/// naming what is wrong, exit code 2, no stack trace. Each case fails in a different layer (the model loader, a file
/// read, the database, the access store), none of which catches for itself.
/// </summary>
public sealed class CommandErrorTests
{
    [Theory]
    [InlineData("does not exist", "models", "check", "/nonexistent/model.onnx")]
    [InlineData("/nonexistent/labels.csv", "labels", "import", "/nonexistent/labels.csv", "--db", "{dir}/mura.db")]
    [InlineData("unable to open database file", "results", "list", "--db", "/nonexistent/dir/mura.db")]
    [InlineData("role 'nope' is not one of", "users", "add", "bob", "--role", "nope", "--db", "{dir}/mura.db")]
    public void A_users_error_is_one_line_and_exit_code_2_whatever_the_command(string expected, params string[] args)
    {
        var dir = Peers.TempDir();
        try
        {
            var (code, stdout, stderr) = Peers.Mura(null, dir, args.Select(a => a.Replace("{dir}", dir, StringComparison.Ordinal)).ToArray());
            Assert.Equal(2, code);
            Assert.Contains("error: ", stdout + stderr, StringComparison.Ordinal);
            Assert.Contains(expected, stdout + stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
