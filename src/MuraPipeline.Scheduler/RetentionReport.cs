using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Ingest;

namespace MuraPipeline.Scheduler;

/// <summary>One retention run: each kind, and whether anything was changed.</summary>
public sealed record RetentionReport(bool DryRun, IReadOnlyList<RetentionKind> Kinds);
