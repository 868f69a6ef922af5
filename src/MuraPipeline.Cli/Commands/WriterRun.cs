using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MuraPipeline.Cli.Serve;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Ingest;

namespace MuraPipeline.Cli.Commands;

/// <summary>What ingest's one writer did with a backlog handed to it all at once.</summary>
internal sealed record WriterRun(int Views, double HeldMsPerView, double FilesPerCommit, double ViewsPerSecond);
