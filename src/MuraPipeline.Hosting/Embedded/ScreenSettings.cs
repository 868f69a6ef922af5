using Microsoft.Extensions.Logging;

namespace MuraPipeline.Hosting.Embedded;

/// <summary>
/// What `screen` was asked: its inputs, output folder and database, and the settings its options gave (null: not given,
/// so configuration decides: appsettings.json, then environment variables such as Inference__BatchSize).
/// </summary>
public sealed record ScreenSettings(IReadOnlyList<string> Inputs, string OutDir, string DatabaseFile, string? ModelPath, int? BatchSize = null, LogLevel LogLevel = LogLevel.Error);
