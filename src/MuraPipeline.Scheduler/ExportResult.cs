using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Contracts;
using MuraPipeline.Data;
using MuraPipeline.Imaging;
using MuraPipeline.ServiceDefaults;

namespace MuraPipeline.Scheduler;

/// <summary>What one export did.</summary>
public sealed record ExportResult(long? RunId, ExportRunStatus Status, int Studies, int Images, int Skipped, string? Folder, string? Error, string? TrainingStatus, string? TrainingDetail);
