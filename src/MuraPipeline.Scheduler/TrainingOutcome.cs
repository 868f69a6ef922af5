using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Evaluation;
using MuraPipeline.Imaging;
using MuraPipeline.Inference;

namespace MuraPipeline.Scheduler;

/// <summary>The training hook's outcome: "activated", "rejected" or "failed", and why.</summary>
public sealed record TrainingOutcome(string Status, string Detail, string? CandidateSha256, double? CandidateKappa, double? ActiveKappa);
