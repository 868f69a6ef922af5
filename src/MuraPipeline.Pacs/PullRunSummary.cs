using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MuraPipeline.Data;
using MuraPipeline.Dicom;
using MuraPipeline.Dicom.Network;
using MuraPipeline.ServiceDefaults;
using MuraPipeline.Contracts;

namespace MuraPipeline.Pacs;

/// <summary>What one run of a job did.</summary>
public sealed record PullRunSummary(int Received, int AlreadyHere, int Failed, int Retried);
