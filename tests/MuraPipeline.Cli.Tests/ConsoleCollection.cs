namespace MuraPipeline.Cli.Tests;

/// <summary>
/// Test classes that run `screen` in this process share its one console: Spectre.Console allows one live progress
/// display at a time, so they run one after another (other classes still run beside them).
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
