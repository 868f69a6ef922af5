using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.DicomResults;
using MuraPipeline.Ingest;

namespace MuraPipeline.Scheduler;

/// <summary>What retention took (or, in a dry run, would take) of one kind of data.</summary>
public sealed record RetentionKind(string Kind, TimeSpan? After, int Count, long Bytes);
