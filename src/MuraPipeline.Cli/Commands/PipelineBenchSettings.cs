using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Evaluation;
using MuraPipeline.Imaging;
using MuraPipeline.Inference;
using MuraPipeline.Ingest;
using MuraPipeline.Phantoms;

namespace MuraPipeline.Cli.Commands;

/// <summary>What <c>mura bench pipeline</c> was asked.</summary>
public sealed record PipelineBenchSettings(int Studies, string? ModelPath, bool Peer, string Provider, string? CacheDir, int BatchSize, bool Distributed = false, int Rounds = 1, IReadOnlyList<string>? Syntaxes = null);
